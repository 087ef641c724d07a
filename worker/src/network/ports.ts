import dgram from "node:dgram";
import net from "node:net";
import { FailedPrecondition, type PortMapping } from "@berth/core";

/** A published port as bound: the host port is the real one (a requested 0 became a free one). */
export interface BoundPort extends PortMapping {
  hostPort: number;
  close(): Promise<void>;
}

const UDP_IDLE_MS = 60_000;

function bindError(m: PortMapping, e: NodeJS.ErrnoException): Error {
  const where = `${m.hostIp ?? "0.0.0.0"}:${m.hostPort}`;
  if (e.code === "EADDRINUSE") return new FailedPrecondition(`Bind for ${where} failed: port is already allocated`);
  if (e.code === "EADDRNOTAVAIL") return new FailedPrecondition(`Bind for ${where} failed: cannot assign requested address (${m.hostIp} is not an address of this host)`);
  return new FailedPrecondition(`Bind for ${where} failed: ${e.message}`);
}

/**
 * `-p`: a userland proxy bound to hostIp:hostPort (every address by default, loopback included)
 * relaying to the container's address. Bound before the container starts, so a taken port
 * stops the start with Docker's message and nothing runs.
 */
export async function publish(m: PortMapping, target: string): Promise<BoundPort> {
  return m.protocol === "udp" ? publishUdp(m, target) : publishTcp(m, target);
}

async function publishTcp(m: PortMapping, target: string): Promise<BoundPort> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: target, port: m.containerPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listen = (host: string) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host, port: m.hostPort, exclusive: true }, () => {
        server.removeListener("error", reject);
        resolve();
      });
    });
  try {
    // No address given: "::" (dual stack) answers on 127.0.0.1 and ::1 alike, as Docker's
    // two bindings do; a host without IPv6 falls back to 0.0.0.0.
    if (m.hostIp) await listen(m.hostIp);
    else await listen("::").catch((e: NodeJS.ErrnoException) => (e.code === "EAFNOSUPPORT" || e.code === "EADDRNOTAVAIL" ? listen("0.0.0.0") : Promise.reject(e)));
  } catch (e) {
    throw bindError(m, e as NodeJS.ErrnoException);
  }
  server.on("error", () => undefined);
  const port = (server.address() as net.AddressInfo).port;
  return {
    ...m,
    hostPort: port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function publishUdp(m: PortMapping, target: string): Promise<BoundPort> {
  const sock = dgram.createSocket({ type: "udp4" });
  // One upstream socket per client address, so replies find their way back.
  const peers = new Map<string, { s: dgram.Socket; timer: NodeJS.Timeout }>();
  sock.on("message", (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let p = peers.get(key);
    if (!p) {
      const s = dgram.createSocket("udp4");
      s.on("message", (reply) => sock.send(reply, rinfo.port, rinfo.address));
      s.on("error", () => s.close());
      p = { s, timer: setTimeout(() => undefined, 0) };
      peers.set(key, p);
    }
    clearTimeout(p.timer);
    const entry = p;
    p.timer = setTimeout(() => {
      entry.s.close();
      peers.delete(key);
    }, UDP_IDLE_MS);
    p.s.send(msg, m.containerPort, target);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once("error", (e) => reject(bindError(m, e)));
    sock.bind({ address: m.hostIp ?? "0.0.0.0", port: m.hostPort, exclusive: true }, () => resolve());
  });
  sock.on("error", () => undefined);
  return {
    ...m,
    hostPort: sock.address().port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const p of peers.values()) {
          clearTimeout(p.timer);
          p.s.close();
        }
        peers.clear();
        sock.close(() => resolve());
      }),
  };
}

/** Whether `m` could be bound now (run's early check; nothing stays bound). */
export async function checkFree(m: PortMapping): Promise<void> {
  if (m.hostPort === 0) return;
  const b = await publish(m, "127.0.0.1");
  await b.close();
}
