import { randomUUID } from "node:crypto";
import type { Socket } from "socket.io";
import {
  FailedPrecondition,
  formatNs,
  FrameWriter,
  isLogMarker,
  logConfigOf,
  logTime,
  markRestart,
  LOGS_READ,
  logStreamKey,
  normalizeTime,
  parseRfc3339Ns,
  type AgentLogsChunk,
  type LogRecord,
  type LogsOpen,
} from "@berth/core";
import type { Db } from "@berth/core/db";
import type { Redis } from "@berth/core/redis";
import type { Services } from "../services.js";
import { decodeRaw, type RawStreamEntry, type StreamEntry } from "./logs.js";
import { findContainer } from "./resolve.js";

const AGENT_TIMEOUT_MS = 60_000;
const PAGE = 2_000;
const BLOCK_MS = 2_000;
/** A row recorded as exited this long ago has written its exit entry (finish writes it right after the row). */
const SETTLE_MS = 5_000;

/** Stream ids are "ms-seq": true if `a` comes after `b`. */
function streamIdAfter(a: string, b: string): boolean {
  const [am = 0n, as = 0n] = a.split("-").map(BigInt);
  const [bm = 0n, bs = 0n] = b.split("-").map(BigInt);
  return am !== bm ? am > bm : as > bs;
}

/** Where the history comes from: the host's json-file files (through its agent), else the capped Redis stream. */
type Phase = { kind: "files"; agent: Socket } | { kind: "stream" } | { kind: "follow" } | { kind: "done" };

/**
 * One `berth logs` read: the history (the json-file files on the container's host, read there and
 * pulled through the agent link; or, when those are gone — an auto-removed container — the Redis
 * stream), then with `follow` the live Redis stream from exactly where the files ended, until the
 * container's current run ends. The client pulls: each `next()` is one bounded chunk of frames, so
 * a big log never sits in memory and a slow client slows the reading.
 *
 * The hand-over is by time: every line has one unique time, the same in the file and the stream.
 * Stream entries at or before the files' last time are skipped (a chatty container's XADDs can
 * land after its file writes, so the stream may not yet hold the files' last line). And when the
 * capped stream no longer reaches back to that time (the container wrote more than the cap while
 * the files were read, or while a slow follower was behind), the lines in between are read from
 * the files again before following.
 */
export class LogRead {
  readonly session = randomUUID();
  private phase: Phase = { kind: "done" };
  private cursor = "-";
  private reader: Redis | undefined;
  /** A restart was announced in the current run: the next exit entry is not the end. */
  private restartPending = false;
  /** Time of the last line already sent (from the files, then from the stream): stream entries up to it are skipped, a refill starts after it. */
  private handover: string | undefined;
  /** The hand-over point of the last refill from the files. */
  private refilledFrom: string | undefined;
  /** The files' last time as the previous read of them saw it (undefined before the first hand-over). */
  private filesLastTime: string | null | undefined;

  constructor(
    private readonly s: Services,
    private readonly id: string,
    /** Where its files are (a removed container's kept logs: its old host), or null: the stream only. */
    private readonly row: Pick<Db.Container, "hostId" | "options"> | null,
    private readonly opts: LogsOpen,
    private readonly agentFor: (hostId: string) => Socket | undefined,
  ) {}

  private get key() {
    return logStreamKey(this.id);
  }

  async open(): Promise<void> {
    if (this.row && logConfigOf(this.row.options).driver === "none") {
      throw new FailedPrecondition('configured logging driver does not support reading (the container was created with --log-driver none)');
    }
    const { follow: _f, containerId: _c, ...rest } = this.opts;
    if (await this.openFiles(rest)) return;
    // No files to read (removed with the container, or its host is away): the stream's history.
    this.phase = { kind: "stream" };
    this.cursor = this.opts.tail === undefined ? "-" : await this.tailStart(this.opts.tail);
  }

  /** Asks the container's host to read its json-file files; false when there are none to read. */
  private async openFiles(opts: Omit<LogsOpen, "follow" | "containerId">): Promise<boolean> {
    const agent = this.row ? this.agentFor(this.row.hostId) : undefined;
    if (!agent) return false;
    let ack: { ok: true } | { error: string; kind: string };
    try {
      ack = (await agent.timeout(AGENT_TIMEOUT_MS).emitWithAck(LOGS_READ.open, { ...opts, session: this.session, containerId: this.id })) as typeof ack;
    } catch {
      ack = { error: "the container's host did not answer", kind: "Unavailable" };
    }
    if ("ok" in ack) {
      this.phase = { kind: "files", agent };
      return true;
    }
    if (ack.kind !== "NotFound") throw Object.assign(new Error(ack.error), { kind: ack.kind });
    return false;
  }

  /**
   * The files are read up to `lastTime`: follow the stream from there, or, when the stream's oldest
   * line is already newer (trimmed past the hand-over point), read the files again from there.
   */
  private async handOver(lastTime: string | null): Promise<void> {
    // A read that found the files as the previous one did: they hold nothing the stream lacks.
    const grew = this.filesLastTime === undefined || lastTime !== this.filesLastTime;
    this.filesLastTime = lastTime;
    if (lastTime !== null) this.handover = lastTime;
    const first = await this.oldestLineTime();
    const gap = first !== undefined && (this.handover === undefined || first > this.handover);
    if (gap && grew) {
      const { follow: _f, containerId: _c, tail: _t, ...rest } = this.opts;
      const from = this.handover === undefined ? undefined : formatNs(parseRfc3339Ns(this.handover)! + 1n);
      const since = from !== undefined && (rest.since === undefined || from > rest.since) ? from : rest.since;
      if (await this.openFiles({ ...rest, ...(since !== undefined ? { since } : {}) })) return;
    }
    this.cursor = this.handover === undefined ? "-" : await this.cursorAfter(this.handover);
    this.phase = { kind: "follow" };
  }

  /** The time of the stream's oldest output line, if it has one. */
  private async oldestLineTime(): Promise<string | undefined> {
    let start = "-";
    for (;;) {
      const page = decodeRaw((await this.s.redis.xrange(this.key, start, "+", "COUNT", 16)) as RawStreamEntry[]);
      for (const { entry } of page) if (entry.stream === "stdout" || entry.stream === "stderr") return normalizeTime(entry.time);
      if (page.length < 16) return undefined;
      start = `(${page[page.length - 1]!.id}`;
    }
  }

  /**
   * The next chunk; `done` when there is no more. An empty, not-done chunk means "nothing yet".
   * `live` once the history is read and the chunks come from the live stream: a chatty container
   * never gives an empty chunk, and its reader still wants to know it is following.
   */
  async next(): Promise<{ data: Buffer; done: boolean; live?: true }> {
    const chunk = await this.step();
    return this.phase.kind === "follow" ? { ...chunk, live: true } : chunk;
  }

  private async step(): Promise<{ data: Buffer; done: boolean }> {
    const p = this.phase;
    if (p.kind === "done") return { data: Buffer.alloc(0), done: true };
    if (p.kind === "files") {
      let r: AgentLogsChunk;
      try {
        r = (await p.agent.timeout(AGENT_TIMEOUT_MS).emitWithAck(LOGS_READ.next, { session: this.session })) as AgentLogsChunk;
      } catch {
        r = { error: "the container's host did not answer", kind: "Unavailable" };
      }
      if ("error" in r) throw Object.assign(new Error(r.error), { kind: r.kind });
      const data = Buffer.from(r.data);
      if (!r.done) return { data, done: false };
      if (!this.opts.follow) {
        this.phase = { kind: "done" };
        return { data, done: true };
      }
      await this.handOver(r.lastTime);
      return { data, done: false };
    }
    const { page, trimmed } = await this.readPage(this.cursor);
    if (trimmed && (await this.refill())) return { data: Buffer.alloc(0), done: false };
    if (page.length) return this.frames(page);
    if (p.kind === "stream" && !this.opts.follow) {
      this.phase = { kind: "done" };
      return { data: Buffer.alloc(0), done: true };
    }
    this.phase = { kind: "follow" };
    if (await this.over()) {
      this.phase = { kind: "done" };
      return { data: Buffer.alloc(0), done: true };
    }
    this.reader ??= this.s.blockingRedis();
    const res = (await this.reader.xread("COUNT", PAGE, "BLOCK", BLOCK_MS, "STREAMS", this.key, this.cursor === "-" ? "0-0" : this.cursor)) as [string, RawStreamEntry[]][] | null;
    const live = res?.[0]?.[1] ?? [];
    return this.frames(decodeRaw(live));
  }

  /**
   * The entries after `after`, and whether the cap trimmed entries after it (read in the same
   * transaction: the stream's oldest entry is past it, or from the start: entries were ever trimmed).
   */
  private async readPage(after: string): Promise<{ page: StreamEntry[]; trimmed: boolean }> {
    const start = after === "-" ? "-" : `(${after}`;
    const answers = await this.s.redis.multi().xrange(this.key, start, "+", "COUNT", PAGE).xinfo("STREAM", this.key).exec();
    const [[e1, raw], [e2, info]] = (answers ?? [[null, []], [null, []]]) as [[Error | null, RawStreamEntry[]], [Error | null, unknown[]]];
    if (e1) throw e1;
    // No stream yet (XINFO says "no such key"): nothing was trimmed.
    const fields = e2 ? [] : info;
    const field = (name: string) => (fields.indexOf(name) >= 0 ? fields[fields.indexOf(name) + 1] : undefined);
    let trimmed: boolean;
    if (after === "-") trimmed = Number(field("entries-added") ?? 0) > Number(field("length") ?? 0);
    else {
      const first = (field("first-entry") as RawStreamEntry | null | undefined)?.[0];
      trimmed = first !== undefined && streamIdAfter(first, after);
    }
    return { page: decodeRaw(raw), trimmed };
  }

  /**
   * The stream was trimmed past the cursor (the container wrote more than the cap while this
   * reader was behind): the lines after the last one sent are read from the files again, then
   * the hand-over to the stream happens as after the first read. False without files to read.
   */
  private async refill(): Promise<boolean> {
    // Once per hand-over point: lines the stream has and the files lack (a full disk) cannot be refilled.
    if (this.filesLastTime === undefined || this.handover === undefined || this.handover === this.refilledFrom) return false;
    this.refilledFrom = this.handover;
    const { follow: _f, containerId: _c, tail: _t, ...rest } = this.opts;
    const from = formatNs(parseRfc3339Ns(this.handover)! + 1n);
    return this.openFiles({ ...rest, since: rest.since === undefined || from > rest.since ? from : rest.since });
  }

  /** Frames for these records (filters and -t applied); ends the read at the run's final exit or past --until. */
  private async frames(page: StreamEntry[]): Promise<{ data: Buffer; done: boolean }> {
    const out = new FrameWriter();
    const { since, until, timestamps, follow } = this.opts;
    for (let i = 0; i < page.length; i++) {
      const { id, entry } = page[i]!;
      this.cursor = id;
      const e = entry as LogRecord;
      if (isLogMarker(e)) {
        this.restartPending = e.stream === "restart";
        continue;
      }
      if (e.stream === "exit") {
        if (!follow || this.restartPending || i < page.length - 1) continue;
        if (await this.finalExit(id)) {
          this.phase = { kind: "done" };
          return { data: out.take(), done: true };
        }
        continue;
      }
      const t = normalizeTime(e.time);
      if (this.handover !== undefined && t <= this.handover) continue; // already sent from the files
      if (since !== undefined && t < since) continue;
      if (until !== undefined && t > until) {
        this.phase = { kind: "done" };
        return { data: out.take(), done: true };
      }
      out.push(e.stream, timestamps ? `${t} ${e.line}\n` : `${e.line}\n`);
      if (this.filesLastTime !== undefined) this.handover = t; // where a refill from the files starts
    }
    return { data: out.take(), done: false };
  }

  /** Nothing follows the exit entry and no new run has begun: the container has ended. */
  private async finalExit(exitId: string): Promise<boolean> {
    const after = (await this.s.redis.xrange(this.key, `(${exitId}`, "+", "COUNT", 1)) as RawStreamEntry[];
    if (after.length) return false;
    const row = await this.s.db.container.findUnique({ where: { id: this.id }, select: { state: true } });
    // finish() marks the row exited before it writes the exit entry: anything else is a new run.
    return !row || row.state === "exited";
  }

  /** Follow has nothing to wait for: the row is gone (and with it the stream), or it ended long enough ago. */
  private async over(): Promise<boolean> {
    if (this.opts.until !== undefined && new Date().toISOString() > this.opts.until) return true;
    const row = await this.s.db.container.findUnique({ where: { id: this.id }, select: { state: true, finishedAt: true } });
    if (!row) return (await this.s.redis.exists(this.key)) === 0;
    if (row.state !== "exited" || this.restartPending) return false;
    return !!row.finishedAt && Date.now() - row.finishedAt.getTime() > SETTLE_MS;
  }

  /** The stream id of the last output line at or before `lastTime` (the files' last line): following starts after it. */
  private async cursorAfter(lastTime: string | null): Promise<string> {
    if (lastTime === null) return "-";
    let end = "+";
    for (;;) {
      const raw = (await this.s.redis.xrevrange(this.key, end, "-", "COUNT", PAGE)) as RawStreamEntry[];
      for (const { id, entry } of decodeRaw(raw)) {
        if ((entry.stream === "stdout" || entry.stream === "stderr") && normalizeTime(entry.time) <= lastTime) return id;
      }
      if (raw.length < PAGE) return "-"; // every line in the stream is newer than the files (or it is empty)
      end = `(${raw[raw.length - 1]![0]}`;
    }
  }

  /** For the stream-only history: the id before the last `n` output lines. */
  private async tailStart(n: number): Promise<string> {
    let end = "+";
    let seen = 0;
    for (;;) {
      const raw = (await this.s.redis.xrevrange(this.key, end, "-", "COUNT", PAGE)) as RawStreamEntry[];
      for (const { id, entry } of decodeRaw(raw)) {
        if (entry.stream !== "stdout" && entry.stream !== "stderr") continue;
        if (seen === n) return id;
        seen++;
      }
      if (raw.length < PAGE) return "-";
      end = `(${raw[raw.length - 1]![0]}`;
    }
  }

  close(): void {
    const p = this.phase;
    if (p.kind === "files") p.agent.emit(LOGS_READ.close, { session: this.session });
    this.phase = { kind: "done" };
    this.reader?.disconnect();
    this.reader = undefined;
  }
}


/**
 * Before `restart` stops a running container: tells log followers that the exit to come is not
 * the end, so `logs -f` goes on into the next run.
 */
export async function announceRestart(s: Services, teamId: string, ref: string): Promise<void> {
  const c = await findContainer(s.db, teamId, ref).catch(() => null);
  if (c?.state !== "running") return;
  await markRestart(s.redis, c.id, logTime()).catch((err: Error) => s.log.warn({ err: err.message, id: c.id }, "could not mark the restart in the log"));
}
