import fs from "node:fs/promises";
import path from "node:path";
import type { Job } from "bullmq";
import { BerthError, FailedPrecondition, BUILD_STREAM_TTL_SECONDS, BuildJob, buildStreamKey, buildStartedKey, readBuildEnd, workerStoppedMessage, writeBuildEnd, type BuildEvent, type Logger } from "@berth/core";
import type { ContentStore } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import type { Redis } from "@berth/core/redis";
import { build, BuildCache, ContextProcess } from "../builder/index.js";
import type { Snapshots } from "../images/index.js";
import type { NetworkService } from "../network/index.js";

export interface BuildJobDeps {
  db: PrismaClient;
  redis: Redis;
  blobs: ContentStore;
  snapshots: Snapshots;
  buildsDir: string;
  hostId: string;
  /** Named in "the worker on host X stopped during this build". */
  hostName: string;
  log: Logger;
  /** RUN steps join the default bridge network through it. */
  network?: NetworkService;
}

/**
 * `build` on the builds queue: unpacks the uploaded context, runs the Dockerfile, and streams
 * every line of progress to `build:<buildId>` (web relays it to the client), ending with one
 * `end` event carrying the image id or the error's kind and message.
 */
export default function buildJob(d: BuildJobDeps): BuildJobRunner {
  const cache = new BuildCache(path.join(d.buildsDir, "cache"));
  // The context (untrusted: any tar, any Dockerfile) is unpacked and read in a child process.
  const contexts = new ContextProcess(d.log.child({ part: "build-context" }));
  contexts.start();
  void removeStaleBuildDirs(d.buildsDir, d.log);
  const run = async (job: Job): Promise<{ ok: boolean }> => {
    const p = BuildJob.parse(job.data);
    const key = buildStreamKey(p.buildId);
    // Run again after its end was written (its lock lapsed, its worker died): the end stands.
    const ended = await readBuildEnd(d.redis, p.buildId);
    if (ended) {
      d.log.warn({ build: p.buildId.slice(0, 8), ok: ended.ok }, "a build that already ended was delivered again: keeping its end");
      return { ok: ended.ok };
    }
    // A run before this one started and never ended (its worker died or lost the job): its context
    // is gone (unpacked and removed, or dropped from the job), so this run cannot redo it.
    const before = await d.redis.set(buildStartedKey(p.buildId), d.hostName, "EX", BUILD_STREAM_TTL_SECONDS, "NX", "GET");
    if (before !== null) {
      const message = workerStoppedMessage(before, "build");
      await writeBuildEnd(d.redis, p.buildId, { type: "end", ok: false, kind: "Unavailable", message });
      return { ok: false };
    }
    // Sent at once: one connection runs its commands in the order they were sent, so the lines
    // stay in order without waiting for each reply (the end event's reply comes after all of
    // theirs). The TTL is set with the first entry and renewed with the last.
    let first = true;
    const emit = (ev: BuildEvent): Promise<unknown> => {
      // The end goes through its once-only key, after the lines sent before it on this connection.
      if (ev.type === "end")
        return writeBuildEnd(d.redis, p.buildId, ev)
          .then((wrote) => wrote || d.log.warn({ build: p.buildId.slice(0, 8), ok: ev.ok }, "the build already had an end; this run's is dropped"))
          .catch((err: unknown) => d.log.warn({ err }, "writing the build's end failed"));
      const setTtl = first;
      first = false;
      const json = JSON.stringify(ev);
      return (setTtl ? d.redis.multi().xadd(key, "*", "e", json).expire(key, BUILD_STREAM_TTL_SECONDS).exec() : d.redis.xadd(key, "*", "e", json)).catch((err: unknown) =>
        d.log.warn({ err }, "writing build output failed"),
      );
    };
    const dir = path.join(d.buildsDir, `build-${p.buildId}`);
    // A large context waits under builds/ (removed once unpacked); a small one came inside the job.
    const source = typeof p.context === "string" ? path.join(d.buildsDir, path.basename(p.context)) : Buffer.from(p.context.inline, "base64");
    const archive = typeof source === "string" ? source : undefined;
    const log = d.log.child({ build: p.buildId.slice(0, 8) });
    // Finished jobs stay in Redis for a while (up to 1000, an hour): without their context.
    if (!archive) void job.updateData({ ...p, context: { inline: "" } }).catch((err: unknown) => log.warn({ err }, "dropping the job's inline context failed"));
    // Cancelled from the dashboard: web writes the end itself; an end this run did not write stops it.
    const abort = new AbortController();
    const watch = setInterval(() => {
      readBuildEnd(d.redis, p.buildId).then(
        (end) => {
          if (end && !abort.signal.aborted) abort.abort(new FailedPrecondition(`build stopped: ${end.ok ? "it already ended" : end.message}`));
        },
        (err: unknown) => log.warn({ err }, "checking whether the build was cancelled failed"),
      );
    }, CANCEL_POLL_MS);
    try {
      const ctx = path.join(dir, "context");
      const { dockerfile } = await contexts.prepare(source, ctx, p.dockerfile);
      // Unpacked: the upload has served (the finally below covers a failed unpack).
      if (archive) await fs.rm(archive, { force: true });
      const r = await build(
        { db: d.db, blobs: d.blobs, snapshots: d.snapshots, cache, hostId: d.hostId, signal: abort.signal, ...(d.network ? { network: d.network } : {}), out: (text) => void emit({ type: "out", text }), extract: (file, into) => contexts.extract(file, into) },
        { buildId: p.buildId, contextDir: ctx, workDir: path.join(dir, "work"), dockerfile, tags: p.tags, ...(p.target ? { target: p.target } : {}), buildArgs: p.buildArgs, noCache: p.noCache, network: p.network, teamId: p.teamId },
      );
      log.info({ id: r.id, tags: p.tags }, "image built");
      await emit({ type: "end", ok: true, id: r.id });
      return { ok: true };
    } catch (e) {
      const kind = e instanceof BerthError ? e.kind : "Internal";
      if (!(e instanceof BerthError)) log.error({ err: e }, "build failed");
      await emit({ type: "end", ok: false, kind, message: (e as Error).message });
      return { ok: false };
    } finally {
      clearInterval(watch);
      // Retries: the context process may still be closing a file of a context it refused.
      await fs.rm(dir, { recursive: true, force: true, maxRetries: 5 });
      if (archive) await fs.rm(archive, { force: true });
    }
  };
  return Object.assign(run, { close: () => contexts.close() });
}

/** How soon a running build notices it was cancelled. */
const CANCEL_POLL_MS = 1000;

/** Runs one build job; close() ends the context process (at shutdown). */
export type BuildJobRunner = ((job: Job) => Promise<{ ok: boolean }>) & { close(): void };

/** A build's scratch dir (builds/build-<id>) older than a day was left by a crashed worker. */
async function removeStaleBuildDirs(buildsDir: string, log: Logger): Promise<void> {
  const cutoff = Date.now() - 24 * 3600_000;
  const names = await fs.readdir(buildsDir).catch(() => [] as string[]);
  for (const n of names) {
    if (!n.startsWith("build-")) continue;
    const st = await fs.stat(path.join(buildsDir, n)).catch(() => undefined);
    if (st?.isDirectory() && st.mtimeMs < cutoff) {
      await fs.rm(path.join(buildsDir, n), { recursive: true, force: true }).catch((err: unknown) => log.warn({ err, dir: n }, "removing a stale build dir failed"));
    }
  }
}
