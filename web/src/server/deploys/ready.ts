import fs from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { FailedPrecondition } from "@berth/core";
import type { Services } from "../services.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The container's address on its first network, from the network service's store (as the edge reads it). */
export async function addressOf(home: string, containerId: string): Promise<string | undefined> {
  try {
    const file = JSON.parse(await fs.readFile(path.join(home, "network", "networks.json"), "utf8")) as { networks?: { endpoints?: Record<string, { containerId: string; ip: string }> }[] };
    for (const n of file.networks ?? []) for (const e of Object.values(n.endpoints ?? {})) if (e.containerId === containerId) return e.ip;
  } catch {
    /* not written yet */
  }
  return undefined;
}

/** One GET of `urlPath` on the container's port: its status, or the network error (no answer in `timeoutMs`: "timeout"). */
export function probeHttp(ip: string, port: number, urlPath: string, timeoutMs = 2_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: ip, port, path: urlPath, timeout: timeoutMs, headers: { "user-agent": "berth-health-check" }, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once("timeout", () => req.destroy(Object.assign(new Error(`no answer in ${timeoutMs}ms`), { code: "timeout" })));
    req.once("error", reject);
  });
}

export interface Readiness {
  service: string;
  port: number;
  health?: { path: string; status?: number | undefined } | undefined;
  timeoutMs: number;
}

/**
 * Waits until the container answers HTTP on its port (a bound port is not enough: a response is):
 * any answer, or with a health path the status asked for (default 2xx/3xx). Throws naming the
 * service and the last thing seen when it exits or does not answer in time.
 */
export async function untilAnswers(s: Services, home: string, containerId: string, r: Readiness): Promise<void> {
  const urlPath = r.health?.path ?? "/";
  const wanted = (status: number) => (r.health ? (r.health.status !== undefined ? status === r.health.status : status >= 200 && status < 400) : status > 0);
  const end = Date.now() + r.timeoutMs;
  let last = "no address yet";
  for (;;) {
    const row = await s.db.container.findUnique({ where: { id: containerId }, select: { state: true, exitCode: true, error: true, name: true } });
    if (!row) throw new FailedPrecondition(`service "${r.service}" did not become healthy: its container was removed`);
    if (row.state === "exited" || row.state === "dead") {
      throw new FailedPrecondition(`service "${r.service}" did not become healthy: container ${row.name} exited (${row.exitCode ?? "?"})${row.error ? `: ${row.error}` : ""} before it answered HTTP on port ${r.port}`);
    }
    const ip = await addressOf(home, containerId);
    if (ip) {
      try {
        const status = await probeHttp(ip, r.port, urlPath);
        if (wanted(status)) return;
        last = `GET ${urlPath} answered ${status}${r.health?.status !== undefined ? ` (berth.yaml web.health.status wants ${r.health.status})` : ""}`;
      } catch (err) {
        last = `GET ${urlPath} on port ${r.port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      }
    }
    if (Date.now() > end) throw new FailedPrecondition(`service "${r.service}" did not become healthy in ${Math.round(r.timeoutMs / 1000)}s: ${last}`);
    await sleep(100);
  }
}
