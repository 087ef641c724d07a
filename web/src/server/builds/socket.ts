/**
 * Build output over socket.io, for the dashboard and any client that did not start the build:
 *
 *   → build:subscribe   {buildId}
 *   ← build:entry       {buildId, entry: BuildEvent}   the whole stream from its start, then live,
 *                                                      ending with the {type:"end"} entry
 *   ← build:error       {buildId, kind, message}       bad payload, or no such build
 *   → build:unsubscribe {buildId}
 *
 * It reads the same Redis stream (`build:<id>`) that POST /api/builds relays to the CLI. A
 * subscription may arrive before the worker wrote anything (the build is queued): it waits up
 * to BUILD_APPEAR_MS for the stream to appear before answering NotFound. A stream expires
 * BUILD_STREAM_TTL_SECONDS after its build ended.
 */
import type { Socket } from "socket.io";
import { z } from "zod";
import { buildStreamKey, type BuildEvent } from "@berth/core";
import type { Redis } from "@berth/core/redis";
import type { Services } from "../services.js";
import { socketActor } from "../socket/actor.js";
import { errorKind } from "../errors.js";
import { authorizeBuildRead } from "./team.js";

export const BUILD_SOCKET = {
  subscribe: "build:subscribe",
  unsubscribe: "build:unsubscribe",
  entry: "build:entry",
  error: "build:error",
} as const;

export interface BuildEntryMessage {
  buildId: string;
  entry: BuildEvent;
}
export interface BuildErrorMessage {
  buildId: string;
  kind: string;
  message: string;
}

const BuildSubscribe = z.object({ buildId: z.string().uuid("buildId must be a build's uuid") });
const BLOCK_MS = 2_000;
const PAGE = 1_000;
/** How long a subscription waits for a queued build's stream to appear. */
export const BUILD_APPEAR_MS = 15_000;

type RawEntry = [string, string[]];

function decode(fields: string[]): BuildEvent | undefined {
  const i = fields.indexOf("e");
  if (i < 0 || i + 1 >= fields.length) return undefined;
  try {
    return JSON.parse(fields[i + 1]!) as BuildEvent;
  } catch {
    return undefined;
  }
}

class BuildSubscription {
  private stopped = false;
  private reader: Redis | undefined;

  constructor(
    private readonly s: Services,
    private readonly socket: Socket,
    readonly buildId: string,
  ) {}

  get cancelled(): boolean {
    return this.stopped;
  }

  stop(): void {
    this.stopped = true;
    this.reader?.disconnect();
    this.reader = undefined;
  }

  /** Sends entries; true once the end entry went out. */
  private send(raw: RawEntry[]): { last?: string; ended: boolean } {
    let last: string | undefined;
    for (const [id, fields] of raw) {
      last = id;
      const entry = decode(fields);
      if (!entry) continue;
      const msg: BuildEntryMessage = { buildId: this.buildId, entry };
      this.socket.emit(BUILD_SOCKET.entry, msg);
      if (entry.type === "end") return { last, ended: true };
    }
    return { ...(last ? { last } : {}), ended: false };
  }

  /** Resolves when the build ended (true), or false when no such stream appeared in time. */
  async run(): Promise<boolean> {
    const key = buildStreamKey(this.buildId);
    let cursor = "0-0";
    // Backlog on the shared connection, a page at a time.
    for (;;) {
      if (this.stopped) return true;
      const page = (await this.s.redis.xrange(key, cursor === "0-0" ? "-" : `(${cursor}`, "+", "COUNT", PAGE)) as RawEntry[];
      const r = this.send(page);
      if (r.ended) return true;
      if (r.last) cursor = r.last;
      if (page.length < PAGE) break;
    }
    const seen = cursor !== "0-0";
    const appearBy = Date.now() + BUILD_APPEAR_MS;
    this.reader = this.s.blockingRedis();
    while (!this.stopped) {
      const got = (await this.reader.xread("COUNT", PAGE, "BLOCK", BLOCK_MS, "STREAMS", key, cursor)) as [string, RawEntry[]][] | null;
      if (this.stopped) return true;
      if (!got) {
        if (!(await this.s.redis.exists(key))) {
          // Expired after we saw it, or never appeared: nothing more will come.
          if (seen || cursor !== "0-0" || Date.now() > appearBy) return false;
        }
        continue;
      }
      for (const [, raw] of got) {
        const r = this.send(raw);
        if (r.last) cursor = r.last;
        if (r.ended) return true;
      }
    }
    return true;
  }
}

export function registerBuildHandlers(s: Services, socket: Socket): void {
  const subs = new Map<string, BuildSubscription>();
  const log = s.log.child({ socket: socket.id });
  const fail = (buildId: string, kind: string, message: string) => {
    const msg: BuildErrorMessage = { buildId, kind, message };
    socket.emit(BUILD_SOCKET.error, msg);
  };

  socket.on(BUILD_SOCKET.subscribe, async (payload: unknown) => {
    const parsed = BuildSubscribe.safeParse(payload);
    if (!parsed.success) {
      const buildId = typeof (payload as { buildId?: unknown })?.buildId === "string" ? (payload as { buildId: string }).buildId : "";
      fail(buildId, "InvalidArgument", `invalid ${BUILD_SOCKET.subscribe} payload: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
      return;
    }
    const { buildId } = parsed.data;
    try {
      await authorizeBuildRead(s, await socketActor(s, socket, BUILD_SOCKET.subscribe, "build.read", buildId), buildId);
    } catch (err) {
      fail(buildId, errorKind(err), (err as Error).message);
      return;
    }
    subs.get(buildId)?.stop();
    const sub = new BuildSubscription(s, socket, buildId);
    subs.set(buildId, sub);
    try {
      const found = await sub.run();
      if (!found && !sub.cancelled) fail(buildId, "NotFound", `No such build: ${buildId} (or its output has expired)`);
    } catch (err) {
      if (!sub.cancelled) {
        log.warn({ err: (err as Error).message, buildId }, "build subscription failed");
        fail(buildId, "Unavailable", (err as Error)?.message ?? String(err));
      }
    } finally {
      sub.stop();
      if (subs.get(buildId) === sub) subs.delete(buildId);
    }
  });

  socket.on(BUILD_SOCKET.unsubscribe, (payload: unknown) => {
    const buildId = (payload as { buildId?: unknown })?.buildId;
    if (typeof buildId !== "string") return;
    subs.get(buildId)?.stop();
    subs.delete(buildId);
  });

  socket.on("disconnect", () => {
    for (const sub of subs.values()) sub.stop();
    subs.clear();
  });
}
