import dgram from "node:dgram";
import net from "node:net";

/**
 * The relays behind a published port (`-p`): a listener on hostIp:hostPort (every address by
 * default, loopback included) that carries each connection (TCP) or each client's datagrams
 * (UDP) to the container's address. They run in the port proxy process (proxy-main.ts), not in
 * the worker, so published ports answer while no worker runs. No @berth/core here: that process
 * should start fast and small.
 */

export interface Mapping {
  hostIp?: string;
  hostPort: number;
  containerPort: number;
  protocol: "tcp" | "udp";
}

export interface Relay {
  /** The port bound (a requested 0 became a free one). */
  hostPort: number;
  close(): Promise<void>;
}

const UDP_IDLE_MS = 60_000;

export function relay(m: Mapping, target: string): Promise<Relay> {
  return m.protocol === "udp" ? relayUdp(m, target) : relayTcp(m, target);
}

export async function relayTcp(m: Mapping, target: string): Promise<Relay> {
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
    server.close();
    throw e;
  }
  server.on("error", () => undefined);
  const port = (server.address() as net.AddressInfo).port;
  return {
    hostPort: port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export async function relayUdp(m: Mapping, target: string): Promise<Relay> {
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
    sock.once("error", (e) => {
      sock.close();
      reject(e);
    });
    sock.bind({ address: m.hostIp ?? "0.0.0.0", port: m.hostPort, exclusive: true }, () => resolve());
  });
  sock.on("error", () => undefined);
  return {
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
