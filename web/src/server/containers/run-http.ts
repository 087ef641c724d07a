/**
 * POST /api/v1/containers/run — an attached, non-interactive `berth run` in one request:
 * the body is the tRPC `container.run` input (JSON), authenticated the same way (Bearer
 * token or session cookie). The answer is NDJSON, in order:
 *
 *   {"id":"…","name":"…"}                         the container exists and is queued
 *   {"stream":"stdout"|"stderr","data":"line\n"}  its output, as the log stream holds it
 *   {"exitCode":0|null,"error"?:"…"}              last: after every output line
 *
 * Errors before the container exists are JSON {error:{kind,message}} with an HTTP status, as
 * the other streaming routes. One request instead of a tRPC call plus a socket.io handshake
 * and subscription: that is most of what an attached `run` of a short command costs.
 * A client that goes away stops the relay only; the container runs on, as after a detach.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { InvalidArgument, isLogMarker, logStreamKey } from "@berth/core";
import type { Redis } from "@berth/core/redis";
import { httpActor, type Actor } from "../policy/index.js";
import { recordAudit, requestOrigin } from "../audit/index.js";
import { asBerthError, HTTP_STATUS, sendJson } from "../errors.js";
import { RunInput } from "../routers/container.js";
import type { Services } from "../services.js";
import { decodeRaw, streamExists, type RawStreamEntry } from "./logs.js";
import { runContainer } from "./run.js";

export const RUN_PATH = "/api/v1/containers/run";

/** Generous: the input's own limits (zod) are what really bounds it. */
const MAX_BODY = 8 * 1024 * 1024;
const BLOCK_MS = 5_000;
const PAGE = 1_000;

/** One line of the answer after the first. */
export type RunStreamLine = { stream: "stdout" | "stderr"; data: string } | { exitCode: number | null; error?: string };

/** Answers POST /api/v1/containers/run; returns false for any other path. */
export function runHttpHandler(s: Services): (req: IncomingMessage, res: ServerResponse, pathname: string) => boolean {
  return (req, res, pathname) => {
    if (pathname !== RUN_PATH) return false;
    void (async () => {
      let runner: Actor | undefined;
      try {
        if (req.method !== "POST") {
          res.setHeader("allow", "POST");
          return sendJson(res, 405, { error: { kind: "InvalidArgument", message: `${pathname} takes POST` } });
        }
        // Both at once (one round trip less), but who is asking is answered first.
        const [actor, body] = await Promise.allSettled([httpActor(s, req, "container.run"), readBody(req)]);
        if (actor.status === "rejected") throw actor.reason;
        runner = actor.value;
        if (body.status === "rejected") throw body.reason;
        const parsed = RunInput.safeParse(body.value);
        if (!parsed.success) throw new InvalidArgument(parsed.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; "));
        // Connect the reader while the container is being created: it is on the critical path.
        const reader = s.blockingRedis();
        let created: { id: string; name: string };
        try {
          created = await runContainer(s, actor.value, parsed.data);
        } catch (err) {
          reader.disconnect();
          throw err;
        }
        res.writeHead(200, { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store", "x-container-id": created.id });
        res.write(`${JSON.stringify(created)}\n`);
        await relay(s, reader, res, created.id, parsed.data.autoRemove ?? false);
        res.end();
      } catch (err) {
        const berth = asBerthError(err);
        if (!berth) s.log.error({ err, path: pathname }, "run route failed");
        // Allowed by the policy, refused on the way (host-level power, a taken name): audited too.
        if (runner && berth) await recordAudit(s.db, s.log, { actorId: runner.userId, actorName: runner.userName, teamId: runner.team.id, teamName: runner.team.name, action: "container.run", result: berth.kind, detail: berth.message }, requestOrigin(req));
        if (res.headersSent) {
          const line: RunStreamLine = { exitCode: null, error: berth?.message ?? `internal error: ${(err as Error).message}` };
          if (!res.writableEnded) res.end(`${JSON.stringify(line)}\n`);
          return;
        }
        sendJson(res, berth ? (HTTP_STATUS[berth.kind] ?? 500) : 500, { error: { kind: berth?.kind ?? "Internal", message: berth?.message ?? "internal error" } });
      }
    })();
    return true;
  };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new InvalidArgument("the request body is too large");
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new InvalidArgument('send a JSON body as container.run takes it: {"image": "busybox", "cmd": ["true"]}');
  }
}

/** The container's log stream from its start to its exit entry, one NDJSON line per entry. */
async function relay(s: Services, reader: Redis, res: ServerResponse, id: string, autoRemove: boolean): Promise<void> {
  let closed = false;
  res.on("close", () => {
    closed = true;
    reader.disconnect();
  });
  const key = logStreamKey(id);
  let cursor = "0-0";
  try {
    while (!closed) {
      const got = (await reader.xread("COUNT", PAGE, "BLOCK", BLOCK_MS, "STREAMS", key, cursor)) as [string, RawStreamEntry[]][] | null;
      if (closed) return;
      if (!got) {
        if (await vanished(s, id)) {
          res.write(`${JSON.stringify({ exitCode: null, error: `container ${id} was removed before it wrote an exit status` } satisfies RunStreamLine)}\n`);
          return;
        }
        continue;
      }
      let text = "";
      for (const [, raw] of got) {
        for (const { id: entryId, entry } of decodeRaw(raw)) {
          cursor = entryId;
          if (entry.stream === "exit") {
            const end: RunStreamLine = { exitCode: entry.exitCode, ...(entry.error ? { error: entry.error } : {}) };
            if (text) res.write(text);
            // `run --rm` returns once the container is gone, as Docker's does (`ps -a` never shows it after).
            if (autoRemove) await removed(s, id, () => closed);
            res.write(`${JSON.stringify(end)}\n`);
            return;
          }
          if (isLogMarker(entry)) continue; // a run's start (or a restart's announcement) carries no output
          text += `${JSON.stringify({ stream: entry.stream, data: `${entry.line}\n` } satisfies RunStreamLine)}\n`;
        }
      }
      // A slow reader (`berth run … | less`) holds the relay back rather than this process's memory.
      if (text && !res.write(text)) await new Promise<void>((resolve) => {
        res.once("drain", resolve);
        res.once("close", resolve);
      });
    }
  } catch (err) {
    if (closed) return; // the reader was disconnected under a pending XREAD
    throw err;
  } finally {
    reader.disconnect();
  }
}

/** Waits (bounded: the worker removes it right after the exit entry) until the container's row is gone. */
async function removed(s: Services, id: string, gone: () => boolean): Promise<void> {
  const until = Date.now() + 10_000;
  while (!gone() && Date.now() < until) {
    if (!(await s.db.container.findUnique({ where: { id }, select: { id: true } }))) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Neither the row nor the stream exists: nothing more will ever arrive. */
async function vanished(s: Services, id: string): Promise<boolean> {
  const row = await s.db.container.findUnique({ where: { id }, select: { id: true } });
  return !row && !(await streamExists(s.redis, id));
}
