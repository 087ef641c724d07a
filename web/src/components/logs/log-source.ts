"use client";
import { io, type Socket } from "socket.io-client";
import type { LogStore } from "./log-store";

/** Must match core's LOGS_READ (the `berth logs` read: files on the host, then the live stream). */
const OPEN = "logs:open";
const NEXT = "logs:next";
const CLOSE = "logs:close";
const EVENT = "event";

export type SourceState =
  | { kind: "connecting" }
  | { kind: "reading" }
  | { kind: "following" }
  /** The container's run ended; a new start is followed again. */
  | { kind: "ended" }
  /** The container was removed: its kept logs (until the retention runs out) are shown. */
  | { kind: "removed" }
  | { kind: "error"; message: string; errorKind: string };

type OpenAck = { session: string; id: string; removed?: true } | { error: string; kind: string };
/** live: the history is read and this comes from the live stream. */
type NextAck = { data?: ArrayBuffer | Uint8Array; done: boolean; live?: boolean } | { error: string; kind: string };

/**
 * Feeds a LogStore from the server's log read over socket.io: the whole history (the host's
 * json-file files, rotated ones included), then the live stream from exactly where the files
 * ended, until the container's run ends. When the container starts again, it reads on from the
 * last line it holds: the view follows across restarts.
 */
export class LogSource {
  private socket: Socket | undefined;
  private session: string | undefined;
  private stopped = false;
  private reading = false;
  /** A container.start came while a read was still on: read again once it ends. */
  private startedDuringRead = false;
  id: string | undefined;

  constructor(
    private readonly store: LogStore,
    private readonly container: string,
    private readonly team: string,
    private readonly onState: (s: SourceState) => void,
    private readonly onData: () => void,
    /** false: read what is there and stop (a removed container). */
    private readonly follow = true,
  ) {}

  start(): void {
    this.onState({ kind: "connecting" });
    const socket = io({ path: "/socket.io", withCredentials: true, transports: ["websocket", "polling"], auth: { team: this.team } });
    this.socket = socket;
    socket.on("connect_error", (err: Error) =>
      this.onState(
        err.message.startsWith("unauthorized")
          ? { kind: "error", message: "You are signed out.", errorKind: "Unauthenticated" }
          : { kind: "error", message: `cannot reach the server's live connection: ${err.message}`, errorKind: "Unavailable" },
      ),
    );
    socket.on(EVENT, (ev: { type?: string; id?: string }) => {
      if (ev?.type !== "container.start" || !this.id || ev.id !== this.id || !this.follow) return;
      if (this.reading) this.startedDuringRead = true;
      else void this.read();
    });
    // A reconnect (web restarted, network blip) reads on from the last line held.
    socket.on("connect", () => void this.read());
  }

  private async read(): Promise<void> {
    if (this.stopped || this.reading || !this.socket) return;
    this.reading = true;
    this.startedDuringRead = false;
    const socket = this.socket;
    try {
      this.store.resume();
      const ack = (await socket.timeout(60_000).emitWithAck(OPEN, { containerId: this.container, follow: this.follow, timestamps: true })) as OpenAck;
      if ("error" in ack) {
        this.onState({ kind: "error", message: ack.error, errorKind: ack.kind });
        return;
      }
      this.session = ack.session;
      this.id = ack.id;
      this.onState({ kind: "reading" });
      let caughtUp = false;
      for (;;) {
        if (this.stopped || !socket.connected) return;
        const r = (await socket.timeout(60_000).emitWithAck(NEXT, { session: ack.session })) as NextAck;
        if ("error" in r) {
          this.onState({ kind: "error", message: r.error, errorKind: r.kind });
          return;
        }
        const data = r.data instanceof ArrayBuffer ? new Uint8Array(r.data) : r.data;
        if (data?.length && this.store.appendFrames(data)) this.onData();
        if (r.done) break;
        // The history is read: the server says so (a chatty container's answers are never empty),
        // or an empty answer that is not the end (the live part waits for lines).
        if (!caughtUp && this.follow && (r.live || !data?.length)) {
          caughtUp = true;
          this.onState({ kind: "following" });
        }
      }
      this.session = undefined;
      this.onState({ kind: ack.removed ? "removed" : "ended" });
    } catch (err) {
      if (!this.stopped) this.onState({ kind: "error", message: `reading the log failed: ${(err as Error).message}`, errorKind: "Unavailable" });
    } finally {
      this.reading = false;
      if (this.startedDuringRead && !this.stopped) void this.read();
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.session) this.socket?.emit(CLOSE, { session: this.session });
    this.socket?.disconnect();
    this.socket = undefined;
  }
}
