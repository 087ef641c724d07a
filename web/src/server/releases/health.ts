/**
 * A release's health check on one replica (core ReleaseHealth): an HTTP GET from outside the
 * container, as the edge reaches it, or the container's own check (a command the release sets,
 * or the image's HEALTHCHECK) that the worker runs and records. Timing as Compose's: a probe
 * every interval, each given `timeout`; failures within the start period do not count; `retries`
 * failures in a row make it unhealthy; one success healthy.
 */
import { FailedPrecondition, type ReleaseHealth } from "@berth/core";
import type { Services } from "../services.js";
import { readHealth } from "../containers/health.js";
import { addressOf, probeHttp } from "../deploys/index.js";

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

/** One replica to check: its container and the port the web service serves on. */
export interface Replica {
  id: string;
  name: string;
  service: string;
  port: number;
}

/** How long the worker may take to record the first state of a container's own check (it does so as it starts it). */
const FIRST_STATE_MS = 5_000;
/** The longest wait for a container's own check to settle, whatever its timing says. */
const CHECK_CAP_MS = 15 * 60_000;

/** What one probe saw: healthy or not, and what to tell people. */
export interface Probe {
  ok: boolean;
  detail: string;
  /** The container is gone or exited: no use probing again. */
  final?: boolean;
}

function wantedStatus(h: ReleaseHealth & { kind: "http" }, status: number): boolean {
  if (h.status !== undefined) return status === h.status;
  if (h.implicit) return status > 0;
  return status >= 200 && status < 400;
}

/** One probe of `r` now (http: one GET; the container's own check: the worker's latest state). */
export async function probeOnce(s: Services, home: string, r: Replica, h: ReleaseHealth): Promise<Probe & { state?: string }> {
  const row = await s.db.container.findUnique({ where: { id: r.id }, select: { state: true, exitCode: true, error: true } });
  if (!row) return { ok: false, final: true, detail: `container ${r.name} was removed` };
  if (row.state !== "running") return { ok: false, final: true, detail: `container ${r.name} ${row.state === "exited" ? `exited (${row.exitCode ?? "?"})` : `is ${row.state}`}${row.error ? `: ${row.error}` : ""}` };
  if (h.kind === "http") {
    const ip = await addressOf(home, r.id);
    if (!ip) return { ok: false, detail: `container ${r.name} has no address yet` };
    try {
      const status = await probeHttp(ip, r.port, h.path, h.timeoutMs);
      if (wantedStatus(h, status)) return { ok: true, detail: `GET ${h.path} answered ${status}` };
      return { ok: false, detail: `GET ${h.path} on port ${r.port} answered ${status}, wanted ${h.status ?? "2xx or 3xx"}` };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      return { ok: false, detail: `GET ${h.path} on port ${r.port}: ${code === "timeout" ? `no answer in ${h.timeoutMs}ms` : code}${h.implicit ? " (no health check is configured: the service must answer HTTP on its port)" : ""}` };
    }
  }
  const state = (await readHealth(s.redis, [r.id])).get(r.id);
  const last = state?.Log.at(-1);
  const output = last ? `: exit ${last.ExitCode}${last.Output.trim() ? `, ${last.Output.trim().slice(0, 300)}` : ""}` : "";
  if (!state) return { ok: false, state: "none", detail: `container ${r.name} has no health check running${h.kind === "image" ? " (its image has no HEALTHCHECK)" : ""}` };
  return { ok: state.Status === "healthy", state: state.Status, detail: `${h.kind === "image" ? "the image's HEALTHCHECK" : "the health command"} is ${state.Status}${output}` };
}

/**
 * Waits until `r` is healthy; throws FailedPrecondition naming the replica and what the last
 * probe saw when it is unhealthy (Compose's rules) or exits. `signal` stops the wait early.
 */
export async function untilHealthy(s: Services, home: string, r: Replica, h: ReleaseHealth, signal?: AbortSignal): Promise<void> {
  const started = Date.now();
  const unhealthy = (why: string) => new FailedPrecondition(`service "${r.service}" did not become healthy: ${why}`);
  if (h.kind !== "http") {
    for (;;) {
      const p = await probeOnce(s, home, r, h);
      if (p.ok) return;
      if (p.final || p.state === "unhealthy") throw unhealthy(p.detail);
      if (p.state === "none" && Date.now() - started > FIRST_STATE_MS) throw unhealthy(p.detail);
      if (Date.now() - started > CHECK_CAP_MS) throw unhealthy(`still ${p.state} after ${CHECK_CAP_MS / 60_000} minutes: ${p.detail}`);
      if (signal?.aborted) throw unhealthy("the deploy was cancelled");
      await sleep(200, signal);
    }
  }
  let failures = 0;
  for (;;) {
    const p = await probeOnce(s, home, r, h);
    if (p.ok) return;
    if (p.final) throw unhealthy(p.detail);
    if (Date.now() - started >= h.startPeriodMs) failures++;
    if (failures >= h.retries) throw unhealthy(`${failures} checks in a row failed${h.startPeriodMs ? ` after the ${h.startPeriodMs / 1000}s start period` : ""}; the last: ${p.detail}`);
    if (signal?.aborted) throw unhealthy("the deploy was cancelled");
    await sleep(h.intervalMs, signal);
  }
}
