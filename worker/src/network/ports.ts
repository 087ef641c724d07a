import { spawn, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { once } from "node:events";
import fs from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { FailedPrecondition, type PortMapping } from "@berth/core";
import { PORT_PROXY_BINARY } from "@berth/native";
import { running } from "../host/process.js";

/** A published port as bound: the host port is the real one (a requested 0 became a free one). */
export interface BoundPort extends PortMapping {
  hostPort: number;
}

/** A container's published ports and the proxy process that serves them. */
export interface PortProxy {
  pid: number;
  ports: BoundPort[];
}

/** What the proxy writes on its stdout once it bound every port, or failed to bind one. */
interface ProxyReport {
  ports?: number[];
  error?: { index: number; code?: string; message: string };
}

/** How long a proxy may take to bind its ports and say so (it takes milliseconds). */
export const PROXY_REPORT_MS = 30_000;

/** In every proxy's command line: how one is told from another process that took its pid. */
export const PROXY_MARKER = "berth-port-proxy";

function bindError(m: PortMapping, e: { code?: string; message: string }): Error {
  const where = `${m.hostIp ?? "0.0.0.0"}:${m.hostPort}`;
  if (e.code === "EADDRINUSE") return new FailedPrecondition(`Bind for ${where} failed: port is already allocated`);
  if (e.code === "EADDRNOTAVAIL") return new FailedPrecondition(`Bind for ${where} failed: cannot assign requested address (${m.hostIp} is not an address of this host)`);
  return new FailedPrecondition(`Bind for ${where} failed: ${e.message}`);
}

/**
 * `-p`: the container's published ports, bound by a proxy process of their own (native
 * berth-port-proxy, see native/src/port_proxy_main.cc) relaying to the container's address. Bound
 * before the container starts, so a taken port stops the start with Docker's message and nothing
 * runs. The proxy outlives the worker (its own session), so the ports answer while no worker
 * runs; stopProxy ends it.
 */
export async function publish(
  mappings: PortMapping[],
  target: string,
  owner: { hostId: string; containerId: string },
  logFile: string,
  // Tests only: another binary, a shorter wait.
  o: { binary?: string; reportMs?: number } = {},
): Promise<PortProxy> {
  const binary = o.binary ?? PORT_PROXY_BINARY;
  const reportMs = o.reportMs ?? PROXY_REPORT_MS;
  const specs = mappings.map((m) => `${m.protocol},${m.hostIp ?? ""},${m.hostPort},${m.containerPort}`);
  // Its stderr is `logFile` (appended to, one JSON line per failed connect toward the container,
  // rate-limited): a file, not the worker's output, because the proxy outlives the worker.
  await fs.mkdir(path.dirname(logFile), { recursive: true });
  const log = await fs.open(logFile, "a", 0o600);
  let child: ChildProcess;
  try {
    child = spawn(binary, [PROXY_MARKER, owner.hostId, owner.containerId, target, ...specs], {
      detached: true,
      // Nothing of the worker's but the pipe of its report, which it closes after: it outlives the
      // worker and the launcher's output.
      stdio: ["ignore", "pipe", log.fd],
    });
  } catch (e) {
    await log.close();
    throw e;
  }
  // Read before anything is awaited: a proxy that exits at once (a taken port) has its unread
  // output flushed away by Node when the exit is seen, and with it the report. The log is closed
  // meanwhile (the child has its own copy); a failed close stops the proxy too.
  const closed = log.close().catch((e: unknown) => {
    child.kill("SIGKILL");
    throw e;
  });
  const [text] = await Promise.all([readReport(child, mappings, binary, reportMs), closed]);
  let report: ProxyReport;
  try {
    report = JSON.parse(text) as ProxyReport;
  } catch {
    const [code, signal] = child.exitCode !== null || child.signalCode !== null ? [child.exitCode, child.signalCode] : ((await once(child, "exit")) as [number | null, NodeJS.Signals | null]);
    throw new FailedPrecondition(`the port proxy (${binary}) exited before it bound the ports (${signal ?? `exit ${code}`})`);
  }
  child.stdout!.destroy();
  if (report.error || !report.ports || child.pid === undefined) {
    child.kill("SIGKILL");
    const m = mappings[report.error?.index ?? 0]!;
    throw bindError(m, report.error ?? { message: "no ports reported" });
  }
  child.unref();
  const ports = report.ports;
  return { pid: child.pid, ports: mappings.map((m, i) => ({ ...m, hostPort: ports[i]! })) };
}

/**
 * The proxy's report is one line: read up to its newline, or to the end of stdout (a proxy that
 * died first). Not only the end: a copy of the pipe held by any other process would delay that. A
 * proxy that never reports is killed: publish runs under the network's lock, which every start waits for.
 */
function readReport(child: ChildProcess, mappings: PortMapping[], binary: string, reportMs: number): Promise<string> {
  // A pipe, as asked (spawn's types cannot tell with a descriptor among stdio).
  const stdout = child.stdout!;
  return new Promise<string>((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      const ports = mappings.map((m) => `${m.hostIp ?? "0.0.0.0"}:${m.hostPort}->${m.containerPort}/${m.protocol}`).join(", ");
      reject(new FailedPrecondition(`the port proxy (${binary}) did not report its ports within ${reportMs / 1000} s; it was stopped, and ${ports} stay unpublished`));
    }, reportMs);
    const done = () => {
      clearTimeout(timer);
      resolve(text.split("\n")[0]!);
    };
    stdout.setEncoding("utf8").on("data", (d: string) => {
      text += d;
      if (text.includes("\n")) done();
    });
    stdout.once("end", done);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(new FailedPrecondition(`starting the port proxy (${binary}) failed: ${e.message}`));
    });
  });
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
    if (!(await running(pid))) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Whether `m` could be bound now (run's early check; nothing stays bound). Binds as the proxy does. */
export async function checkFree(m: PortMapping): Promise<void> {
  if (m.hostPort === 0) return;
  try {
    if (m.protocol === "udp") await bindUdp(m.hostIp ?? "0.0.0.0", m.hostPort);
    else if (m.hostIp) await listenTcp(m.hostIp, m.hostPort);
    else await listenTcp("::", m.hostPort).catch((e: NodeJS.ErrnoException) => (e.code === "EAFNOSUPPORT" || e.code === "EADDRNOTAVAIL" ? listenTcp("0.0.0.0", m.hostPort) : Promise.reject(e)));
  } catch (e) {
    throw bindError(m, e as NodeJS.ErrnoException);
  }
}

function listenTcp(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

function bindUdp(address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(net.isIPv6(address) ? "udp6" : "udp4");
    sock.once("error", (e) => {
      sock.close();
      reject(e);
    });
    sock.bind({ address, port, exclusive: true }, () => sock.close(() => resolve()));
  });
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
