import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FailedPrecondition, type PortMapping } from "@berth/core";
import type { ProxyReport } from "./proxy-main.js";
import { relay } from "./relay.js";

/** A published port as bound: the host port is the real one (a requested 0 became a free one). */
export interface BoundPort extends PortMapping {
  hostPort: number;
}

/** A container's published ports and the proxy process that serves them. */
export interface PortProxy {
  pid: number;
  ports: BoundPort[];
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
// Beside this file once built; the built one when the sources run (vitest).
const PROXY_SCRIPT = [path.join(HERE, "proxy-main.js"), path.join(HERE, "../../dist/network/proxy-main.js")].find((f) => existsSync(f)) ?? path.join(HERE, "proxy-main.js");
/** In every proxy's command line: how one is told from another process that took its pid. */
export const PROXY_MARKER = "berth-port-proxy";

function bindError(m: PortMapping, e: { code?: string; message: string }): Error {
  const where = `${m.hostIp ?? "0.0.0.0"}:${m.hostPort}`;
  if (e.code === "EADDRINUSE") return new FailedPrecondition(`Bind for ${where} failed: port is already allocated`);
  if (e.code === "EADDRNOTAVAIL") return new FailedPrecondition(`Bind for ${where} failed: cannot assign requested address (${m.hostIp} is not an address of this host)`);
  return new FailedPrecondition(`Bind for ${where} failed: ${e.message}`);
}

/**
 * `-p`: the container's published ports, bound by a proxy process of their own (proxy-main.ts)
 * relaying to the container's address. Bound before the container starts, so a taken port stops
 * the start with Docker's message and nothing runs. The proxy outlives the worker (its own
 * session), so the ports answer while no worker runs; stopProxy ends it.
 */
export async function publish(mappings: PortMapping[], target: string, owner: { hostId: string; containerId: string }): Promise<PortProxy> {
  const child = spawn(process.execPath, [PROXY_SCRIPT, PROXY_MARKER, owner.hostId, owner.containerId, target, JSON.stringify(mappings)], {
    detached: true,
    // Nothing of the worker's: it outlives the worker and the launcher's output.
    stdio: ["ignore", "ignore", "ignore", "ipc"],
  });
  const report = await new Promise<ProxyReport>((resolve, reject) => {
    child.once("message", (m) => resolve(m as ProxyReport));
    child.once("error", (e) => reject(new FailedPrecondition(`starting the port proxy (${process.execPath} ${PROXY_SCRIPT}) failed: ${e.message}`)));
    child.once("exit", (code, signal) => reject(new FailedPrecondition(`the port proxy exited before it bound the ports (${signal ?? `exit ${code}`})`)));
  });
  child.removeAllListeners("exit");
  if (report.error || !report.ports || child.pid === undefined) {
    child.kill("SIGKILL");
    const m = mappings[report.error?.index ?? 0]!;
    throw bindError(m, report.error ?? { message: "no ports reported" });
  }
  if (child.connected) child.disconnect();
  child.unref();
  const ports = report.ports;
  return { pid: child.pid, ports: mappings.map((m, i) => ({ ...m, hostPort: ports[i]! })) };
}

async function proxyArgs(pid: number): Promise<{ hostId: string; containerId: string } | undefined> {
  const argv = await fs.readFile(`/proc/${pid}/cmdline`, "utf8").then((t) => t.split("\0"), () => [] as string[]);
  const at = argv.indexOf(PROXY_MARKER);
  if (at < 0 || argv[at + 2] === undefined) return undefined;
  return { hostId: argv[at + 1]!, containerId: argv[at + 2]! };
}

/** Whether `pid` is the port proxy of `containerId` (and not a process that took its pid since). */
export async function isProxyOf(pid: number, containerId: string): Promise<boolean> {
  return (await proxyArgs(pid))?.containerId === containerId;
}

/** Every port proxy of this instance that runs (whichever worker started it). */
export async function proxiesOf(hostId: string): Promise<{ pid: number; containerId: string }[]> {
  const out: { pid: number; containerId: string }[] = [];
  for (const p of await fs.readdir("/proc")) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    const a = await proxyArgs(Number(p));
    if (a?.hostId === hostId) out.push({ pid: Number(p), containerId: a.containerId });
  }
  return out;
}

/** Ends a container's proxy and waits until its ports are free again (a restart binds them anew). */
export async function stopProxy(pid: number, containerId: string): Promise<void> {
  if (!(await isProxyOf(pid, containerId))) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") return;
    throw e;
  }
  // Its sockets close when it exits, before it is reaped: gone or a zombie is enough.
  for (let i = 0; i < 2000; i++) {
    const stat = await fs.readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    if (!stat || stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Whether `m` could be bound now (run's early check; nothing stays bound). */
export async function checkFree(m: PortMapping): Promise<void> {
  if (m.hostPort === 0) return;
  try {
    await (await relay(m, "127.0.0.1")).close();
  } catch (e) {
    throw bindError(m, e as NodeJS.ErrnoException);
  }
}

/** `-P`: the image's EXPOSEd ports ("80/tcp") not already published by -p, each on a free host port. */
export function exposedPorts(exposed: string[], published: PortMapping[]): PortMapping[] {
  const out: PortMapping[] = [];
  for (const e of exposed) {
    const [port, proto = "tcp"] = e.split("/");
    const containerPort = Number(port);
    if (!Number.isInteger(containerPort) || containerPort < 1 || containerPort > 65535 || (proto !== "tcp" && proto !== "udp")) continue;
    if (published.some((p) => p.containerPort === containerPort && p.protocol === proto)) continue;
    out.push({ hostPort: 0, containerPort, protocol: proto });
  }
  return out;
}
