import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { BUILDS_QUEUE, buildStreamKey, FailedPrecondition, INLINE_CONTEXT_MAX, InvalidArgument, type BuildEvent, type BuildJob } from "@berth/core";
import type { Services } from "../services.js";
import type { Actor } from "../policy/index.js";
import { queueBuild } from "../builds/http.js";
import { assertTagsWritable } from "../images/manage.js";
import { receiveSmallUpload } from "../uploads.js";

export interface ServiceBuild {
  /** The build context, a directory inside the checkout. */
  context: string;
  /** The Dockerfile's path inside the context. */
  dockerfile: string;
  target?: string | undefined;
  args: Record<string, string>;
  tag: string;
}

/** `child`'s real path is `parent` or inside it. */
export function inside(parent: string, child: string): boolean {
  const rel = path.relative(fs.realpathSync(parent), fs.realpathSync(child));
  return rel === "" || (!rel.startsWith(`..${path.sep}`) && rel !== ".." && !path.isAbsolute(rel));
}

/**
 * The context as a tar (GNU tar from the host: symlinks stay links, nothing outside is read).
 * The builder applies .dockerignore itself, as it does for every context.
 */
function contextTar(dir: string): AsyncIterable<Buffer> & { done: Promise<void> } {
  const entries = fs.readdirSync(dir).sort();
  if (!entries.length) throw new InvalidArgument(`the build context ${dir} is empty`);
  const child = spawn("tar", ["--format=pax", "--numeric-owner", "--owner=0", "--group=0", "--sort=name", "-C", dir, "-cf", "-", "--", ...entries], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const done = new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve() : reject(new FailedPrecondition(`packing the build context ${dir} failed (tar exited ${code}): ${err.trim()}`))));
  });
  return Object.assign(child.stdout as AsyncIterable<Buffer>, { done });
}

/**
 * Builds one service through the same path `berth build` and `stack up --build` take (the
 * builds queue, the worker's builder, the build's Redis stream), sending each line of output to
 * `onLine`. Returns the image id; a failed build throws with the builder's own message.
 */
export async function buildService(s: Services, actor: Actor, b: ServiceBuild, onLine: (line: string) => void): Promise<string> {
  await assertTagsWritable(s, actor, [b.tag]);
  const tar = contextTar(b.context);
  const [upload] = await Promise.all([receiveSmallUpload(tar, "the build context", INLINE_CONTEXT_MAX), tar.done]);
  const payload: BuildJob = {
    buildId: randomUUID(),
    context: "inline" in upload ? { inline: upload.inline.toString("base64") } : upload.name,
    dockerfile: b.dockerfile,
    tags: [b.tag],
    ...(b.target ? { target: b.target } : {}),
    buildArgs: b.args,
    noCache: false,
    network: "default",
    teamId: actor.team.id,
  };
  const reader = s.blockingRedis();
  try {
    const jobId = await queueBuild(s, payload, actor.userName);
    return await follow(s, reader, payload.buildId, jobId, onLine);
  } finally {
    reader.disconnect();
  }
}

/** Reads the build's stream to its end event, line by line. */
async function follow(s: Services, r: ReturnType<Services["blockingRedis"]>, buildId: string, jobId: string | undefined, onLine: (line: string) => void): Promise<string> {
  const key = buildStreamKey(buildId);
  let last = "0";
  let partial = "";
  const until = Date.now() + 30 * 60_000;
  const flush = (text: string) => {
    partial += text;
    let nl;
    while ((nl = partial.indexOf("\n")) >= 0) {
      onLine(partial.slice(0, nl).replace(/\r$/, ""));
      partial = partial.slice(nl + 1);
    }
  };
  while (Date.now() < until) {
    const got = (await r.xread("BLOCK", 5000, "STREAMS", key, last)) as [string, [string, string[]][]][] | null;
    if (!got) {
      // No output for a while: is the job still alive?
      const job = jobId ? await s.queues.get(BUILDS_QUEUE).getJob(jobId) : undefined;
      const state = job ? await job.getState() : "unknown";
      if (state === "failed" || state === "unknown") throw new FailedPrecondition(`the build stopped on the worker: ${job?.failedReason ?? "job lost"}`);
    }
    for (const [, entries] of got ?? []) {
      for (const [id, fields] of entries) {
        last = id;
        const ev = JSON.parse(fields[fields.indexOf("e") + 1] ?? "{}") as BuildEvent;
        if (ev.type === "out") flush(ev.text);
        else if (ev.type === "end") {
          if (partial) onLine(partial);
          if (!ev.ok) throw new FailedPrecondition(ev.message);
          return ev.id;
        }
      }
    }
  }
  throw new FailedPrecondition("the build did not finish in 30 minutes");
}
