import type { Socket } from "socket.io";
import { isLogMarker, LogSubscribe, SOCKET, logStreamKey, type LogEntry, type Logger } from "@berth/core";
import type { Redis } from "@berth/core/redis";
import type { Services } from "../services.js";
import { socketActor } from "./actor.js";
import { findContainer, isFullContainerId } from "../containers/resolve.js";
import { decodeRaw, readRange, streamExists, type RawStreamEntry } from "../containers/logs.js";
import { errorKind } from "../errors.js";

/** Not in core's SOCKET table: the dashboard stops following a container it no longer shows. */
export const LOGS_UNSUBSCRIBE = "logs:unsubscribe";

const BLOCK_MS = 5_000;
const PAGE = 1_000;

export interface LogsEntryMessage {
  /** As the client asked for it (id, prefix or name). */
  containerId: string;
  /** The resolved full container id. */
  id: string;
  entry: LogEntry;
}

/**
 * One subscription: the whole stream from the start, in order, then (follow) XREAD BLOCK
 * on its own connection until the exit entry. Cancelled by disconnect, unsubscribe, or a
 * new subscription to the same container on the same socket.
 */
class Subscription {
  private stopped = false;
  private reader: Redis | undefined;

  constructor(
    private readonly s: Services,
    private readonly socket: Socket,
    readonly ask: string,
    readonly id: string,
    private readonly follow: boolean,
    private readonly log: Logger,
  ) {}

  get cancelled(): boolean {
    return this.stopped;
  }

  stop(): void {
    this.stopped = true;
    this.reader?.disconnect();
    this.reader = undefined;
  }

  private send(entry: LogEntry): void {
    const msg: LogsEntryMessage = { containerId: this.ask, id: this.id, entry };
    this.socket.emit(SOCKET.logsEntry, msg);
  }

  async run(): Promise<void> {
    let last = "-";
    // Backlog on the shared connection.
    for (;;) {
      if (this.stopped) return;
      const page = await readRange(this.s.redis, this.id, last, PAGE);
      for (let i = 0; i < page.length; i++) {
        const e = page[i]!;
        if (isLogMarker(e.entry)) continue;
        // A restarted container's stream holds every run: an exit that something follows is not the end.
        if (e.entry.stream === "exit" && (i < page.length - 1 || (await this.followed(e.id)))) continue;
        this.send(e.entry);
        if (e.entry.stream === "exit") return;
      }
      if (page.length > 0) last = page[page.length - 1]!.id;
      if (page.length < PAGE) break;
    }
    if (!this.follow || this.stopped) return;

    this.reader = this.s.blockingRedis();
    const key = logStreamKey(this.id);
    let cursor = last === "-" ? "0-0" : last;
    while (!this.stopped) {
      const res = (await this.reader.xread("COUNT", PAGE, "BLOCK", BLOCK_MS, "STREAMS", key, cursor)) as
        | [string, RawStreamEntry[]][]
        | null;
      if (this.stopped) return;
      if (!res) {
        if (await this.vanished()) throw new Error(`container ${this.id} was removed before it wrote an exit status`);
        continue;
      }
      for (const [, raw] of res) {
        const entries = decodeRaw(raw);
        for (let i = 0; i < entries.length; i++) {
          const e = entries[i]!;
          cursor = e.id;
          if (isLogMarker(e.entry)) continue;
          if (e.entry.stream === "exit" && (i < entries.length - 1 || (await this.followed(e.id)))) continue;
          this.send(e.entry);
          if (e.entry.stream === "exit") return;
        }
      }
    }
  }

  /** Entries after this one exist (a later run's). */
  private async followed(id: string): Promise<boolean> {
    return ((await this.s.redis.xrange(logStreamKey(this.id), `(${id}`, "+", "COUNT", 1)) as unknown[]).length > 0;
  }

  /** The row and the stream are both gone: nothing more will ever arrive. */
  private async vanished(): Promise<boolean> {
    const row = await this.s.db.container.findUnique({ where: { id: this.id }, select: { id: true } });
    return !row && !(await streamExists(this.s.redis, this.id));
  }

  finish(): void {
    this.reader?.disconnect();
    this.reader = undefined;
    this.log.debug({ id: this.id }, "log subscription ended");
  }
}

export function registerLogHandlers(s: Services, socket: Socket): void {
  const subs = new Map<string, Subscription>();
  const log = s.log.child({ socket: socket.id });

  const fail = (containerId: string, err: unknown) => {
    socket.emit(SOCKET.logsError, { containerId, message: (err as Error)?.message ?? String(err), kind: errorKind(err) });
  };

  socket.on(SOCKET.logsSubscribe, async (payload: unknown) => {
    const parsed = LogSubscribe.safeParse(payload);
    if (!parsed.success) {
      const containerId = typeof (payload as { containerId?: unknown })?.containerId === "string" ? (payload as { containerId: string }).containerId : "";
      socket.emit(SOCKET.logsError, { containerId, message: `invalid logs:subscribe payload: ${parsed.error.issues.map((i) => i.message).join("; ")}`, kind: "InvalidArgument" });
      return;
    }
    const { containerId, follow } = parsed.data;
    let sub: Subscription | undefined;
    try {
      const actor = await socketActor(s, socket, SOCKET.logsSubscribe, "container.logs", containerId);
      const row = await findContainer(s.db, actor.team.id, containerId);
      const id = row?.id ?? (actor.siteAdmin && isFullContainerId(containerId) && (await streamExists(s.redis, containerId)) ? containerId : undefined);
      if (!id) {
        socket.emit(SOCKET.logsError, { containerId, message: `No such container: ${containerId}`, kind: "NotFound" });
        return;
      }
      if (!socket.connected) return;
      subs.get(id)?.stop();
      sub = new Subscription(s, socket, containerId, id, follow, log);
      subs.set(id, sub);
      await sub.run();
    } catch (err) {
      if (!sub?.cancelled) {
        log.warn({ err: (err as Error).message, containerId }, "log subscription failed");
        fail(containerId, err);
      }
    } finally {
      if (sub) {
        sub.finish();
        if (subs.get(sub.id) === sub) subs.delete(sub.id);
      }
    }
  });

  socket.on(LOGS_UNSUBSCRIBE, (payload: unknown) => {
    const ask = (payload as { containerId?: unknown })?.containerId;
    if (typeof ask !== "string") return;
    for (const [id, sub] of subs) {
      if (id === ask || sub.ask === ask) {
        sub.stop();
        subs.delete(id);
      }
    }
  });

  socket.on("disconnect", () => {
    for (const sub of subs.values()) sub.stop();
    subs.clear();
  });
}
