/**
 * `berth cp`'s streaming routes (tars do not fit tRPC's JSON):
 *
 *   GET /api/containers/archive?id=C&path=SRC                      → SRC as a tar; header
 *       x-berth-path-stat: base64 JSON {name, mode, size, linkTarget, isDir}
 *   PUT /api/containers/archive?id=C&path=DEST[&base=NAME&isDir=0|1]  body: a tar → {ok}
 *
 * As the image routes: the tar travels through $BERTH_HOME/builds/<uuid>.tar, and the
 * container's host resolves every path inside the container's root.
 */
import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { InvalidArgument, JOB_VOLUME, type ContainerArchiveGetResult, type ContainerArchivePutJob } from "@berth/core";
import { httpActor } from "../policy/index.js";
import { asBerthError, HTTP_STATUS as STATUS, sendJson } from "../errors.js";
import type { Services } from "../services.js";
import { receiveUpload, uploadsDir } from "../uploads.js";
import { runHostJob } from "../images/jobs.js";
import { resolveContainer } from "./resolve.js";

const ROUTE = "/api/containers/archive";
const JOB_TIMEOUT_MS = 6 * 3600_000;

/** Handles ROUTE; false for any other path. */
export function archiveHttpHandler(s: Services): (req: IncomingMessage, res: ServerResponse, pathname: string) => boolean {
  return (req, res, pathname) => {
    if (pathname !== ROUTE) return false;
    void (async () => {
      try {
        if (req.method !== "GET" && req.method !== "PUT") {
          res.setHeader("allow", "GET, PUT");
          return sendJson(res, 405, { error: { kind: "InvalidArgument", message: `${ROUTE} takes GET or PUT` } });
        }
        const url = new URL(req.url ?? "/", "http://berth");
        const actor = await httpActor(s, req, "container.cp", url.searchParams.get("id") ?? "");
        const id = url.searchParams.get("id");
        const p = url.searchParams.get("path");
        if (!id || !p) throw new InvalidArgument("name the container and the path: ?id=CONTAINER&path=PATH");
        const c = await resolveContainer(s.db, actor.team.id, id);
        if (req.method === "GET") await get(s, res, c, p);
        else await put(s, req, res, c, p, url);
      } catch (err) {
        const berth = asBerthError(err);
        if (!berth) s.log.error({ err, path: pathname }, "archive route failed");
        if (res.headersSent) return void res.destroy();
        sendJson(res, berth ? (STATUS[berth.kind] ?? 500) : 500, { error: { kind: berth?.kind ?? "Internal", message: berth?.message ?? "internal error" } });
        req.resume();
      }
    })();
    return true;
  };
}

async function get(s: Services, res: ServerResponse, c: { id: string; hostId: string }, p: string): Promise<void> {
  await fs.mkdir(uploadsDir(), { recursive: true });
  const output = `${randomUUID()}.tar`;
  const file = path.join(uploadsDir(), output);
  try {
    const r = await runHostJob<ContainerArchiveGetResult>(s, JOB_VOLUME.containerArchiveGet, { containerId: c.id, path: p, output }, { hostId: c.hostId, timeoutMs: JOB_TIMEOUT_MS });
    res.writeHead(200, {
      "content-type": "application/x-tar",
      "content-length": r.size,
      "x-berth-path-stat": Buffer.from(JSON.stringify(r.stat)).toString("base64"),
      "cache-control": "no-store",
    });
    await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), res);
  } finally {
    await fs.rm(file, { force: true });
  }
}

async function put(s: Services, req: IncomingMessage, res: ServerResponse, c: { id: string; hostId: string }, p: string, url: URL): Promise<void> {
  const base = url.searchParams.get("base");
  const isDir = url.searchParams.get("isDir");
  const { name: archive, file } = await receiveUpload(req, "the upload");
  try {
    const payload: ContainerArchivePutJob = {
      containerId: c.id,
      path: p,
      archive,
      ...(isDir !== null ? { source: { base: base || null, isDir: isDir === "1" } } : {}),
    };
    await runHostJob(s, JOB_VOLUME.containerArchivePut, payload, { hostId: c.hostId, timeoutMs: JOB_TIMEOUT_MS });
    sendJson(res, 200, { ok: true });
  } finally {
    await fs.rm(file, { force: true });
  }
}
