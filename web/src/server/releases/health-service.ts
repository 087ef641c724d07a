/**
 * Readiness of a release's other services (not the one taking the edge's traffic) before their
 * peers reach them by name: the service's own healthcheck when it has one (the worker runs it),
 * else every TCP port it exposes accepts a connection, else only that it runs.
 */
import net from "node:net";
import { FailedPrecondition, ReleaseHealth } from "@berth/core";
import type { ComposeService } from "@berth/core/compose";
import type { Services } from "../services.js";
import { addressOf } from "../deploys/index.js";
import { untilHealthy } from "./health.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The longest a service with no healthcheck may take to listen on its ports. */
const LISTEN_TIMEOUT_MS = 120_000;

/** The TCP ports a service exposes ("9000", "9000/tcp"; ranges and udp are not probed). */
export function tcpPorts(svc: ComposeService): number[] {
  const out = new Set<number>();
  for (const e of svc.expose) {
    const m = /^(\d{1,5})(?:\/tcp)?$/.exec(e.trim());
    if (m && Number(m[1]) > 0 && Number(m[1]) < 65536) out.add(Number(m[1]));
  }
  return [...out];
}

/** Whether something accepts a TCP connection at ip:port now. */
function accepts(ip: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: ip, port, timeout: timeoutMs });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.once("connect", () => done(true));
    sock.once("timeout", () => done(false));
    sock.once("error", () => done(false));
  });
}

/** What a service's readiness means, for the deploy's lines. */
export function describeReadiness(svc: ComposeService): string {
  if (svc.healthcheck && !svc.healthcheckDisabled) return "its healthcheck passes";
  const ports = tcpPorts(svc);
  return ports.length ? `it accepts connections on port${ports.length > 1 ? "s" : ""} ${ports.join(", ")}` : "it runs";
}

/** Waits until container `c` of `svc` is ready (see the top of this file); throws FailedPrecondition saying what it saw. */
export async function untilServiceReady(s: Services, home: string, svc: ComposeService, c: { id: string; name: string }): Promise<void> {
  if (svc.healthcheck && !svc.healthcheckDisabled) {
    await untilHealthy(s, home, { id: c.id, name: c.name, service: svc.name, port: 0 }, ReleaseHealth.parse({ kind: "image" }));
    return;
  }
  const ports = tcpPorts(svc);
  const end = Date.now() + LISTEN_TIMEOUT_MS;
  for (const port of ports) {
    for (;;) {
      const row = await s.db.container.findUnique({ where: { id: c.id }, select: { state: true, exitCode: true, error: true } });
      if (!row) throw new FailedPrecondition(`service "${svc.name}" did not become ready: container ${c.name} was removed`);
      // Restarting or created again by its restart policy: it stopped running all the same.
      if (row.state !== "running") throw new FailedPrecondition(`service "${svc.name}" did not become ready: container ${c.name} ${row.state === "exited" ? `exited (${row.exitCode ?? "?"})` : `stopped running (${row.state}${row.exitCode !== null ? `, exit ${row.exitCode}` : ""})`}${row.error ? `: ${row.error}` : ""}`);
      const ip = await addressOf(home, c.id);
      if (ip && (await accepts(ip, port))) break;
      if (Date.now() > end) throw new FailedPrecondition(`service "${svc.name}" did not become ready: nothing accepted a connection on port ${port} of ${c.name} in ${LISTEN_TIMEOUT_MS / 1000}s`);
      await sleep(200);
    }
  }
}
