/**
 * POST /api/builds — `berth build`'s route, beside tRPC (the body is the build context, a tar):
 *
 *   ?t=NAME (repeatable) &f=Dockerfile &target=STAGE &build-arg=K=V (repeatable) &no-cache=1 &network=MODE
 *
 * A small context (INLINE_CONTEXT_MAX) travels inside the job on the builds queue; a larger one
 * is streamed to $BERTH_HOME/builds/<uuid>.tar and handed over by name. The answer
 * (application/x-ndjson) relays the build's Redis stream live, one BuildEvent per line: {type:"out",text} … then {type:"end",ok,id | kind,message}. Errors
 * before the build starts are JSON {error:{kind,message}} with an HTTP status, as the image routes.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import {
  BUILD_JOB,
  BUILDS_QUEUE,
  buildStreamKey,
  INLINE_CONTEXT_MAX,
  InvalidArgument,
  PermissionDenied,
  Unavailable,
  type BuildEvent,
  type BuildJob,
} from "@berth/core";
import { httpActor, type Actor } from "../policy/index.js";
import { asBerthError, HTTP_STATUS as STATUS, sendJson } from "../errors.js";
import { assertTagsWritable, tagRef } from "../images/manage.js";
import { recordBuildTeam } from "./team.js";
import { recordBuild, setBuildJob, type BuildRecord } from "./history.js";
import type { Redis } from "@berth/core/redis";
import type { Services } from "../services.js";
import { receiveSmallUpload } from "../uploads.js";
import { checkDiskQuota } from "../teams/disk.js";

export const BUILDS_PATH = "/api/builds";

/** Answers POST /api/builds; returns false for any other path. */
export function buildHttpHandler(s: Services): (req: IncomingMessage, res: ServerResponse, pathname: string) => boolean {
  return (req, res, pathname) => {
    if (pathname !== BUILDS_PATH) return false;
    void (async () => {
      try {
        if (req.method !== "POST") {
          res.setHeader("allow", "POST");
          return sendJson(res, 405, { error: { kind: "InvalidArgument", message: `${pathname} takes POST` } });
        }
        const actor = await httpActor(s, req, "image.build");
        await checkDiskQuota(s, actor.team.id);
        await startBuild(s, req, res, new URL(req.url ?? "/", "http://berth"), actor);
      } catch (err) {
        const berth = asBerthError(err);
        if (!berth) s.log.error({ err, path: pathname }, "build route failed");
        if (res.headersSent) return void res.end();
        sendJson(res, berth ? (STATUS[berth.kind] ?? 500) : 500, { error: { kind: berth?.kind ?? "Internal", message: berth?.message ?? "internal error" } });
        req.resume();
      }
    })();
    return true;
  };
}

/** The query as a job payload (less the context file), checked before the upload is stored. */
export function buildOptions(url: URL): Omit<BuildJob, "buildId" | "context"> {
  const tags = url.searchParams.getAll("t").map(tagRef);
  const buildArgs: Record<string, string> = {};
  for (const a of url.searchParams.getAll("build-arg")) {
    const eq = a.indexOf("=");
    if (eq <= 0) throw new InvalidArgument(`--build-arg "${a}": expected KEY=VALUE`);
    buildArgs[a.slice(0, eq)] = a.slice(eq + 1);
  }
  const dockerfile = url.searchParams.get("f") || "Dockerfile";
  if (path.posix.isAbsolute(dockerfile) || dockerfile.split("/").includes("..")) throw new InvalidArgument(`-f ${dockerfile}: name a file inside the build context`);
  const target = url.searchParams.get("target") || undefined;
  const noCache = ["1", "true"].includes(url.searchParams.get("no-cache") ?? "");
  const network = url.searchParams.get("network") || "default";
  if (network !== "default" && network !== "bridge" && network !== "host" && network !== "none") throw new InvalidArgument(`--network ${network}: a build's RUN steps can use default (the bridge network), host or none`);
  return { tags, buildArgs, dockerfile, ...(target ? { target } : {}), noCache, network };
}

async function startBuild(s: Services, req: IncomingMessage, res: ServerResponse, url: URL, actor: Actor): Promise<void> {
  const opts = { ...buildOptions(url), teamId: actor.team.id };
  // Builds by anyone but the site admin use the bridge or no network, never the host's.
  if (opts.network === "host" && !actor.siteAdmin) throw new PermissionDenied("a build's --network host is refused: host-level power is the site admin's; use default (the bridge) or none");
  await assertTagsWritable(s, actor, opts.tags);
  // The relay's connection opens while the context uploads: its first read is on the critical path.
  const reader = s.blockingRedis();
  try {
    await queueAndRelay(s, req, res, opts, reader, actor.userName);
  } finally {
    reader.disconnect();
  }
}

async function queueAndRelay(s: Services, req: IncomingMessage, res: ServerResponse, opts: Omit<BuildJob, "buildId" | "context">, reader: Redis, user: string): Promise<void> {
  const upload = await receiveSmallUpload(req, "the build context upload", INLINE_CONTEXT_MAX);
  const buildId = randomUUID();
  const payload: BuildJob = { buildId, context: "inline" in upload ? { inline: upload.inline.toString("base64") } : upload.name, ...opts };
  let jobId: string | undefined;
  try {
    jobId = await queueBuild(s, payload, user);
  } catch (err) {
    if ("file" in upload) await fs.rm(upload.file, { force: true });
    throw err;
  }
  res.writeHead(200, { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store", "x-build-id": buildId });
  await relay(s, res, buildId, jobId, reader);
}

/**
 * Records the build (team, history for the dashboard) and queues it; returns the job's id.
 * Shared by the upload route and the dashboard's retry.
 */
export async function queueBuild(s: Services, payload: BuildJob, user: string, retryOf?: string): Promise<string | undefined> {
  const { buildId } = payload;
  const rec: BuildRecord = {
    id: buildId,
    teamId: payload.teamId ?? "",
    user,
    tags: payload.tags,
    dockerfile: payload.dockerfile,
    ...(payload.target ? { target: payload.target } : {}),
    buildArgs: payload.buildArgs,
    noCache: payload.noCache,
    network: payload.network,
    createdAt: new Date().toISOString(),
    ...(retryOf ? { retryOf } : {}),
  };
  let jobId: string | undefined;
  try {
    if (payload.teamId) {
      await recordBuildTeam(s, buildId, payload.teamId);
      await recordBuild(s, rec, typeof payload.context === "string" ? undefined : payload.context.inline);
    }
    const job = await s.queues.get(BUILDS_QUEUE).add(BUILD_JOB, payload, { removeOnComplete: { age: 3600, count: 1000 }, removeOnFail: { age: 24 * 3600, count: 1000 } });
    jobId = job.id;
  } catch (err) {
    throw new Unavailable(`could not reach the job queue: ${(err as Error).message}`, { cause: err });
  }
  if (payload.teamId) await setBuildJob(s, rec, jobId).catch((err: unknown) => s.log.warn({ err, buildId }, "recording the build's job id failed"));
  s.log.info({ buildId, tags: payload.tags, ...(retryOf ? { retryOf } : {}) }, "build queued");
  return jobId;
}

/** Copies the build's stream to the response until its end event (or the job dies without one). */
async function relay(s: Services, res: ServerResponse, buildId: string, jobId: string | undefined, r: Redis): Promise<void> {
  let closed = false;
  res.on("close", () => {
    closed = true;
  });
  const key = buildStreamKey(buildId);
  let last = "0";
  try {
    while (!closed) {
      const got = (await r.xread("BLOCK", 5000, "STREAMS", key, last)) as [string, [string, string[]][]][] | null;
      if (!got) {
        // No output for a while: is the job still alive?
        const job = jobId ? await s.queues.get(BUILDS_QUEUE).getJob(jobId) : undefined;
        const state = job ? await job.getState() : "unknown";
        if (state === "failed" || state === "unknown") {
          const ev: BuildEvent = { type: "end", ok: false, kind: "Unavailable", message: `the build stopped on the worker: ${job?.failedReason ?? "job lost"}` };
          res.write(`${JSON.stringify(ev)}\n`);
          return;
        }
        continue;
      }
      for (const [, entries] of got) {
        for (const [id, fields] of entries) {
          last = id;
          const json = fields[fields.indexOf("e") + 1] ?? "{}";
          res.write(`${json}\n`);
          if ((JSON.parse(json) as BuildEvent).type === "end") return;
        }
      }
    }
  } finally {
    res.end();
  }
}
