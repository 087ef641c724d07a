/**
 * Streaming image routes, beside tRPC (which carries JSON, not multi-GB tars):
 *
 *   POST /api/images/load                       body: a docker-archive or OCI-layout tar → {images}
 *                                               (with `Accept: application/x-ndjson`: progress lines, then {result})
 *   GET  /api/images/save?name=…&format=docker|oci   → the archive (application/x-tar)
 *   POST /api/images/import?ref=…&message=…&change=…  body: a rootfs tar (or .tar.gz) → {id}
 *   GET  /api/containers/export?id=…                  → the container's root as a tar
 *
 * Authenticated like the API (Bearer token or session). Web never touches layers: an upload is
 * streamed to $BERTH_HOME/builds/<uuid>.tar and handed to the worker by name; the worker writes
 * its output there and web streams it back, then deletes it. That directory is shared because
 * web and worker run on one host (single-host mode); with several hosts these routes would
 * move the file to the chosen host first. Errors are JSON: {error: {kind, message}}.
 */
import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import {
  InvalidArgument,
  JOB,
  type ContainerExportResult,
  type ImageImportResult,
  type ImageLoadResult,
  type ImageSaveResult,
} from "@berth/core";
import { httpActor, type Actor, type TeamAction } from "../policy/index.js";
import { resolveContainer } from "../containers/resolve.js";
import { asBerthError, HTTP_STATUS as STATUS, sendJson } from "../errors.js";
import type { Services } from "../services.js";
import { receiveUpload, uploadsDir } from "../uploads.js";
import { imageHost, runHostJob, streamJob } from "./jobs.js";
import { assertTagsWritable, tagRef } from "./manage.js";
import { resolveImage } from "@berth/core";
import { pullRoute, pushRoute } from "./registry-http.js";
import { bootstrapRoute } from "./bootstrap-http.js";
import { checkDiskQuota } from "../teams/disk.js";

/** Archives are big and hosts can be slow: the worker gets this long. */
const ARCHIVE_JOB_TIMEOUT_MS = 6 * 3600_000;

type Handler = (s: Services, req: IncomingMessage, res: ServerResponse, url: URL, actor: Actor) => Promise<void>;

const ROUTES: Record<string, { method: string; action: TeamAction | "site"; handler: Handler }> = {
  "/api/images/load": { method: "POST", action: "image.manage", handler: load },
  "/api/images/save": { method: "GET", action: "image.save", handler: save },
  "/api/images/import": { method: "POST", action: "image.manage", handler: importTar },
  "/api/containers/export": { method: "GET", action: "container.cp", handler: exportContainer },
  "/api/images/push": { method: "POST", action: "image.push", handler: pushRoute },
  "/api/images/pull": { method: "POST", action: "image.pull", handler: pullRoute },
  "/api/images/bootstrap": { method: "POST", action: "site", handler: bootstrapRoute },
};

/** Routes that add images to the team: refused to a team at its disk quota. */
const MAKES_IMAGES = new Set(["/api/images/load", "/api/images/import", "/api/images/pull"]);

/** Returns a request handler that answers the routes above and returns false for any other path. */
export function imageHttpHandler(s: Services): (req: IncomingMessage, res: ServerResponse, pathname: string) => boolean {
  return (req, res, pathname) => {
    const route = ROUTES[pathname];
    if (!route) return false;
    void (async () => {
      try {
        if (req.method !== route.method) {
          res.setHeader("allow", route.method);
          return sendJson(res, 405, { error: { kind: "InvalidArgument", message: `${pathname} takes ${route.method}` } });
        }
        const url = new URL(req.url ?? "/", "http://berth");
        const actor = await httpActor(s, req, route.action, url.searchParams.get("ref") ?? url.searchParams.get("id") ?? "");
        if (MAKES_IMAGES.has(pathname)) await checkDiskQuota(s, actor.team.id);
        await route.handler(s, req, res, url, actor);
      } catch (err) {
        const berth = asBerthError(err);
        if (!berth) s.log.error({ err, path: pathname }, "image route failed");
        if (res.headersSent) return void res.destroy();
        sendJson(res, berth ? (STATUS[berth.kind] ?? 500) : 500, { error: { kind: berth?.kind ?? "Internal", message: berth?.message ?? "internal error" } });
        req.resume(); // drain what is left of an upload we refused
      }
    })();
    return true;
  };
}

/** Streams the request body to builds/<uuid>.tar; returns its name. */
async function receive(req: IncomingMessage): Promise<{ name: string; file: string; size: number }> {
  const { name, file } = await receiveUpload(req, "the upload");
  const { size } = await fs.stat(file);
  if (size === 0) {
    await fs.rm(file, { force: true });
    throw new InvalidArgument("the upload is empty: send the archive as the request body");
  }
  return { name, file, size };
}

/** Streams builds/<name> as the response, then deletes it. */
async function sendFile(res: ServerResponse, name: string, size: number, filename: string): Promise<void> {
  const file = path.join(uploadsDir(), name);
  try {
    res.writeHead(200, {
      "content-type": "application/x-tar",
      "content-length": size,
      "content-disposition": `attachment; filename="${filename}"`,
      "cache-control": "no-store",
    });
    await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), res);
  } finally {
    await fs.rm(file, { force: true });
  }
}

async function load(s: Services, req: IncomingMessage, res: ServerResponse, _url: URL, actor: Actor): Promise<void> {
  const upload = await receive(req);
  try {
    const hostId = await imageHost(s);
    // A client asking for NDJSON gets the worker's per-layer progress lines, as push and pull do.
    if (/application\/x-ndjson/.test(req.headers.accept ?? "")) {
      await streamJob<ImageLoadResult>(s, res, JOB.imageLoad, { archive: upload.name, teamId: actor.team.id, siteAdmin: actor.siteAdmin }, { hostId, timeoutMs: ARCHIVE_JOB_TIMEOUT_MS }, () => fs.rm(upload.file, { force: true }));
      return;
    }
    const r = await runHostJob<ImageLoadResult>(s, JOB.imageLoad, { archive: upload.name, teamId: actor.team.id, siteAdmin: actor.siteAdmin }, { hostId, timeoutMs: ARCHIVE_JOB_TIMEOUT_MS });
    s.log.info({ images: r.images, bytes: upload.size }, "images loaded");
    sendJson(res, 200, r);
  } finally {
    await fs.rm(upload.file, { force: true });
  }
}

async function save(s: Services, _req: IncomingMessage, res: ServerResponse, url: URL, actor: Actor): Promise<void> {
  const names = url.searchParams.getAll("name");
  if (names.length === 0) throw new InvalidArgument("name which image to save: ?name=IMAGE (repeatable)");
  const format = url.searchParams.get("format") ?? "docker";
  if (format !== "docker" && format !== "oci") throw new InvalidArgument(`unknown format "${format}": use docker or oci`);
  const images = [];
  for (const n of names) {
    const img = await resolveImage(s.db, { teamId: actor.team.id, siteAdmin: actor.siteAdmin }, n);
    // By tag: the archive names it. By id or digest: no name, as docker save does.
    const tagged = img.ref !== img.id && !img.ref.includes("@");
    images.push({ id: img.id, tags: tagged ? [img.ref] : [] });
  }
  const output = `${randomUUID()}.tar`;
  const r = await runHostJob<ImageSaveResult>(s, JOB.imageSave, { images, format, output }, { hostId: await imageHost(s), timeoutMs: ARCHIVE_JOB_TIMEOUT_MS });
  await sendFile(res, output, r.size, "images.tar");
}

async function importTar(s: Services, req: IncomingMessage, res: ServerResponse, url: URL, actor: Actor): Promise<void> {
  const refParam = url.searchParams.get("ref");
  const ref = refParam ? tagRef(refParam) : undefined; // checked before the upload is stored
  const message = url.searchParams.get("message") ?? undefined;
  const changes = url.searchParams.getAll("change");
  if (ref) await assertTagsWritable(s, actor, [ref]);
  const upload = await receive(req);
  try {
    const r = await runHostJob<ImageImportResult>(
      s,
      JOB.imageImport,
      { archive: upload.name, ...(ref ? { ref } : {}), ...(message !== undefined ? { message } : {}), changes, teamId: actor.team.id },
      { hostId: await imageHost(s), timeoutMs: ARCHIVE_JOB_TIMEOUT_MS },
    );
    sendJson(res, 200, r);
  } finally {
    await fs.rm(upload.file, { force: true });
  }
}

async function exportContainer(s: Services, _req: IncomingMessage, res: ServerResponse, url: URL, actor: Actor): Promise<void> {
  const id = url.searchParams.get("id");
  if (!id) throw new InvalidArgument("name the container: ?id=CONTAINER");
  const c = await resolveContainer(s.db, actor.team.id, id);
  const output = `${randomUUID()}.tar`;
  const r = await runHostJob<ContainerExportResult>(s, JOB.containerExport, { containerId: c.id, output }, { hostId: c.hostId, timeoutMs: ARCHIVE_JOB_TIMEOUT_MS });
  await sendFile(res, output, r.size, `${c.name}.tar`);
}
