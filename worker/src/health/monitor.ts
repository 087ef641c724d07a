import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { HEALTH_LOG_ENTRIES, HEALTH_OUTPUT_BYTES, HEALTH_TTL_SECONDS, healthKey, probeArgv, type HealthSettings, type HealthState, type HealthStatus, type Logger } from "@berth/core";
import { startExec, type ExecTarget } from "../containers/terminal.js";

/** How a probe ended: its exit code (-1: it could not run or timed out) and the start of its output. */
export interface ProbeResult {
  exitCode: number;
  output: string;
}

/** Runs one probe inside the container: exec with the container's user, env and caps, killed at the timeout. */
export function runProbe(containerId: string, target: ExecTarget, settings: HealthSettings): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let output = Buffer.alloc(0);
    let settled = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const keep = (d: Buffer) => {
      if (output.length < HEALTH_OUTPUT_BYTES) output = Buffer.concat([output, d.subarray(0, HEALTH_OUTPUT_BYTES - output.length)]);
    };
    let handle: { close(): void } | undefined;
    const timer = setTimeout(() => {
      handle?.close();
      done({ exitCode: -1, output: `Health check exceeded timeout (${settings.timeoutMs / 1000}s)` });
    }, settings.timeoutMs);
    void startExec(target, { session: randomUUID(), containerId, cmd: probeArgv(settings.test), tty: false, interactive: false }, {
      data: (_s, d) => keep(d),
      exit: (code, error) => done({ exitCode: code ?? -1, output: error ? `${output.toString("utf8")}${error}` : output.toString("utf8") }),
    }).then((h) => {
      handle = h;
      if (settled) h.close();
    });
  });
}

/**
 * How long after the last probe the next early one runs (undefined: no more early probes): every
 * 100 ms for the first seconds (most services are up by then), every 500 ms until a minute; each
 * one is an exec in the container, so they thin out. The first probe runs at the start.
 */
export function earlyDelay(sinceStartMs: number): number | undefined {
  if (sinceStartMs < 5_000) return 100;
  if (sinceStartMs < 60_000) return 500;
  return undefined;
}

interface Watch {
  timer?: NodeJS.Timeout;
  stopped: boolean;
  state: HealthState;
  startedAt: number;
}

/**
 * Probes the health of this host's running containers that have a check, as Docker does:
 * "starting" until the first success (failures inside the start period don't count), then
 * "healthy" or, after `retries` failures in a row, "unhealthy". The state lives in Redis for
 * web (ps, inspect); each change of status is reported once through `onStatus`.
 */
export class HealthMonitor {
  private readonly watches = new Map<string, Watch>();

  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
    private readonly onStatus: (containerId: string, status: HealthStatus) => void,
  ) {}

  start(containerId: string, settings: HealthSettings | undefined, target: ExecTarget): void {
    this.stop(containerId);
    if (!settings) {
      void this.redis.del(healthKey(containerId)).catch(() => {});
      return;
    }
    const w: Watch = { stopped: false, startedAt: Date.now(), state: { Status: "starting", FailingStreak: 0, Log: [] } };
    this.watches.set(containerId, w);
    void this.save(containerId, w.state);
    // Docker's probes: the first one interval after the start, then one interval after each
    // (the start interval inside the start period). Their failures count toward `retries`.
    const regularDelay = () => (Date.now() - w.startedAt < settings.startPeriodMs && w.state.Status === "starting" ? settings.startIntervalMs : settings.intervalMs);
    let regularAt = w.startedAt + regularDelay();
    const next = () => {
      if (w.stopped) return;
      const now = Date.now();
      const wait = Math.max(0, regularAt - now);
      // Until the first success, early probes in between: a service that is up after 2 s is seen
      // healthy then, not at the next interval (`up` waits on it for its dependants).
      const early = w.state.Status !== "starting" ? undefined : w.state.Log.length ? earlyDelay(now - w.startedAt) : 0;
      w.timer = setTimeout(() => void probe(), early === undefined ? wait : Math.min(early, wait));
    };
    const probe = async () => {
      if (w.stopped) return;
      const start = new Date();
      // An early probe's failure is not counted (as inside the start period): only Docker's schedule can make a container unhealthy.
      const counted = start.getTime() >= regularAt;
      const r = await runProbe(containerId, target, settings);
      if (w.stopped) return;
      const inStart = Date.now() - w.startedAt < settings.startPeriodMs;
      const before = w.state.Status;
      const log = [...w.state.Log, { Start: start.toISOString(), End: new Date().toISOString(), ExitCode: r.exitCode, Output: r.output }].slice(-HEALTH_LOG_ENTRIES);
      if (r.exitCode === 0) w.state = { Status: "healthy", FailingStreak: 0, Log: log };
      else if (!counted || (inStart && before === "starting")) w.state = { ...w.state, Log: log };
      else {
        const streak = w.state.FailingStreak + 1;
        w.state = { Status: streak >= settings.retries ? "unhealthy" : before, FailingStreak: streak, Log: log };
      }
      if (counted || r.exitCode === 0) regularAt = Date.now() + regularDelay();
      await this.save(containerId, w.state);
      if (w.state.Status !== before) this.onStatus(containerId, w.state.Status);
      next();
    };
    next();
  }

  stop(containerId: string): void {
    const w = this.watches.get(containerId);
    if (!w) return;
    w.stopped = true;
    clearTimeout(w.timer);
    this.watches.delete(containerId);
  }

  stopAll(): void {
    for (const id of [...this.watches.keys()]) this.stop(id);
  }

  private async save(containerId: string, state: HealthState): Promise<void> {
    await this.redis.set(healthKey(containerId), JSON.stringify(state), "EX", HEALTH_TTL_SECONDS).catch((err: Error) => this.log.warn({ err: err.message, container: containerId.slice(0, 12) }, "could not record health"));
  }
}
