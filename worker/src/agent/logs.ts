import path from "node:path";
import type { Socket } from "socket.io-client";
import { AgentLogsNext, AgentLogsOpen, isNotFound, LOGS_READ, type AgentLogsChunk, type Logger } from "@berth/core";
import { LogFileReader } from "../containers/log-reader.js";
import { removedLogsDir } from "../logs/index.js";

type Ack<T> = (a: T) => void;

/**
 * The host side of `berth logs`: web asks this host for a container's json-file history (the
 * files live here) and pulls it chunk by chunk, so a slow client slows the reading instead of
 * filling memory. Idle readers are closed, so a vanished web cannot leak file handles.
 */
export function registerLogReads(socket: Socket, containersDir: string, log: Logger): () => void {
  const readers = new Map<string, { r: LogFileReader; timer: NodeJS.Timeout }>();
  const IDLE_MS = 120_000;
  const drop = (session: string) => {
    const e = readers.get(session);
    if (!e) return;
    readers.delete(session);
    clearTimeout(e.timer);
    void e.r.close();
  };
  const touch = (session: string) => {
    const e = readers.get(session);
    if (!e) return;
    clearTimeout(e.timer);
    e.timer = setTimeout(() => drop(session), IDLE_MS);
  };

  socket.on(LOGS_READ.open, async (p: unknown, ack?: Ack<{ ok: true } | { error: string; kind: string }>) => {
    const reply = typeof ack === "function" ? ack : () => {};
    const m = AgentLogsOpen.safeParse(p);
    if (!m.success) return reply({ error: `invalid logs request: ${m.error.issues.map((i) => i.message).join("; ")}`, kind: "InvalidArgument" });
    const { session, containerId, ...opts } = m.data;
    try {
      // A removed container's logs are kept apart until the retention runs out (worker/src/logs/removed.ts).
      const r = await LogFileReader.open(path.join(containersDir, containerId, "log.jsonl"), opts).catch((e: unknown) =>
        isNotFound(e) ? LogFileReader.open(path.join(removedLogsDir(containersDir), containerId, "log.jsonl"), opts) : Promise.reject(e),
      );
      readers.set(session, { r, timer: setTimeout(() => drop(session), IDLE_MS) });
      reply({ ok: true });
    } catch (err) {
      const e = err as Error & { kind?: string };
      if (!e.kind) log.warn({ err: e, containerId }, "opening a container log failed");
      reply({ error: e.message, kind: e.kind ?? "Internal" });
    }
  });

  socket.on(LOGS_READ.next, async (p: unknown, ack?: Ack<AgentLogsChunk>) => {
    const reply = typeof ack === "function" ? ack : () => {};
    const m = AgentLogsNext.safeParse(p);
    const e = m.success ? readers.get(m.data.session) : undefined;
    if (!m.success || !e) return reply({ error: "no such log session (closed or timed out)", kind: "NotFound" });
    try {
      touch(m.data.session);
      const { data, done } = await e.r.next();
      if (done) {
        drop(m.data.session);
        reply({ data, done: true, lastTime: e.r.lastTime });
      } else reply({ data, done: false });
    } catch (err) {
      drop(m.data.session);
      reply({ error: (err as Error).message, kind: "Internal" });
    }
  });

  socket.on(LOGS_READ.close, (p: unknown) => {
    const m = AgentLogsNext.safeParse(p);
    if (m.success) drop(m.data.session);
  });

  return () => {
    for (const s of [...readers.keys()]) drop(s);
  };
}
