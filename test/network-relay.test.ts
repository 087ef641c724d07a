import dgram from "node:dgram";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { homePaths } from "@berth/core";
import { freePort, portProxiesOf, run, startInstance, type Instance } from "./harness.js";

// What the port proxy (native berth-port-proxy) carries besides HTTP: a TCP half-close and UDP
// datagrams per client, against real servers in real containers.
let b: Instance;
let bin: string;

beforeAll(async () => {
  // busybox's nc has no UDP: the container runs a static echo server built here.
  bin = fs.mkdtempSync(path.join(os.tmpdir(), "berth-udp-echo-"));
  const cc = await run("cc", ["-static", "-O2", "-o", path.join(bin, "udp-echo"), path.join(import.meta.dirname, "fixtures/udp-echo/udp-echo.c")]);
  if (cc.code !== 0) throw new Error(`building the UDP echo server failed: ${cc.stderr}`);
  b = await startInstance();
}, 180_000);

afterAll(async () => {
  if (b) await b.stop();
  if (bin) fs.rmSync(bin, { recursive: true, force: true });
}, 120_000);

const withLog = (message: string) => new Error(`${message}\n--- instance log (tail):\n${b.logs().slice(-6000)}`);

/** A berth command; a failure or a hang (45 s, under the test's own timeout) comes with the instance's log. */
async function berth(args: string[]) {
  try {
    return await b.berth(args, { timeoutMs: 45_000 });
  } catch (e) {
    throw withLog((e as Error).message);
  }
}

async function ok(args: string[]) {
  const r = await berth(args);
  if (r.code !== 0) throw withLog(`berth ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Sends `body`, half-closes, and returns all the server sent back until it closed; undefined if the connection failed. */
function sendThenRead(port: number, body: Buffer): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true });
    let got = "";
    s.setEncoding("utf8").on("data", (d: string) => (got += d));
    s.on("connect", () => s.end(body));
    s.on("end", () => resolve(got));
    s.on("error", () => resolve(undefined));
    s.setTimeout(10_000, () => s.destroy());
    s.on("close", () => resolve(undefined));
  });
}

/** One datagram to 127.0.0.1:port from `sock`, and its reply; undefined if none came within a second. */
function ask(sock: dgram.Socket, port: number, msg: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      sock.removeListener("message", onMessage);
      resolve(undefined);
    }, 1000);
    const onMessage = (m: Buffer) => {
      clearTimeout(timer);
      sock.removeListener("message", onMessage);
      resolve(m.toString());
    };
    sock.on("message", onMessage);
    sock.send(msg, port, "127.0.0.1");
  });
}

async function poll<T>(fn: () => Promise<T | undefined>, tries = 60): Promise<T | undefined> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  return undefined;
}

describe("the port proxy", () => {
  it("passes a client's half-close on: the server reads to the end, and its answer still reaches the client", async () => {
    const port = await freePort();
    // wc -c answers only once its input ended: the client's FIN has to reach the container
    // while the way back stays open.
    await ok(["run", "-d", "--name", "halfclose", "-p", `${port}:7`, "busybox", "nc", "-ll", "-p", "7", "-e", "wc", "-c"]);
    try {
      // Before any connection, the proxy holds its listening socket only.
      const proxy = await poll(async () => portProxiesOf(b.home)[0]);
      expect(proxy).toBeDefined();
      const sockets = () => fs.readdirSync(`/proc/${proxy}/fd`).filter((f) => fs.readlinkSync(`/proc/${proxy}/fd/${f}`).startsWith("socket:")).length;
      const idle = sockets();
      const body = Buffer.alloc(300_000, "x");
      const answer = await poll(async () => {
        const a = await sendThenRead(port, body);
        return a ? a : undefined; // empty: the server was not listening yet
      });
      expect(answer?.trim()).toBe(String(body.length));
      for (let i = 0; i < 5; i++) expect((await sendThenRead(port, body))?.trim()).toBe(String(body.length));
      // Once both sides closed, the proxy holds no socket of those connections.
      expect(await poll(async () => (sockets() === idle ? true : undefined)), `the proxy's sockets: ${idle} before, ${sockets()} after`).toBe(true);
    } finally {
      await ok(["rm", "-f", "halfclose"]);
    }
  });

  it("relays UDP per client address: each client's replies come back to it, from one upstream port per client", async () => {
    const port = await freePort();
    await ok(["run", "-d", "--name", "udp", "-p", `${port}:5353/udp`, "-v", `${bin}:/t:ro`, "busybox", "/t/udp-echo", "5353"]);
    const a = dgram.createSocket("udp4");
    const c = dgram.createSocket("udp4");
    await Promise.all([a, c].map((s) => new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()))));
    try {
      const first = await poll(() => ask(a, port, "one"));
      expect(first).toMatch(/^\d+ one$/);
      const again = await ask(a, port, "two");
      const other = await ask(c, port, "three");
      // The same client comes from the same upstream port; another client from another.
      expect(again).toBe(`${first!.split(" ")[0]} two`);
      expect(other).toMatch(/^\d+ three$/);
      expect(other!.split(" ")[0]).not.toBe(first!.split(" ")[0]);
    } finally {
      a.close();
      c.close();
      await ok(["rm", "-f", "udp"]);
    }
  });

  it("a host port taken between create and start: the start fails with Docker's message and runs nothing", async () => {
    const port = await freePort();
    await ok(["create", "--name", "late", "-p", `${port}:80`, "busybox", "httpd", "-f", "-p", "80"]);
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(port, "0.0.0.0", () => r()));
    try {
      const r = await berth(["start", "late"]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`Bind for 0.0.0.0:${port} failed: port is already allocated`);
      expect(portProxiesOf(b.home)).toEqual([]);
    } finally {
      holder.close();
      await ok(["rm", "-f", "late"]);
    }
  }, 150_000);

  it("logs a connect the container refused (container, ports, errno) to the port proxy's log, at most a line a second per port, counting the rest", async () => {
    const port = await freePort();
    // Nothing listens on 7 in the container: each connect toward it is refused.
    const id = (await ok(["run", "-d", "--name", "refused", "-p", `${port}:7`, "busybox", "sleep", "3600"])).trim();
    const logFile = homePaths(b.home).portProxyLog;
    const mine = () =>
      (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { container: string; published: string; target: string; errno: string; suppressed: number; msg: string })
        .filter((l) => l.container === id);
    try {
      // The client's connection is accepted, then closed once the container refused: no bytes come back.
      expect(await sendThenRead(port, Buffer.from("hello"))).toBeFalsy();
      // The line is written before the client's connection is closed.
      const [first] = mine();
      expect(first).toMatchObject({ published: `tcp [::]:${port}`, errno: "ECONNREFUSED", suppressed: 0 });
      expect(first!.target).toMatch(/^\d+\.\d+\.\d+\.\d+:7$/);
      expect(first!.msg).toContain("connect to the container failed");
      // A flood: a line at most each second; the next line counts those left out.
      let made = 1;
      for (let i = 0; i < 20; i++, made++) expect(await sendThenRead(port, Buffer.from("x"))).toBeFalsy();
      expect(mine().length).toBeLessThan(made);
      const counted = await poll(async () => {
        made++;
        expect(await sendThenRead(port, Buffer.from("x"))).toBeFalsy();
        return mine().some((l, i) => i > 0 && l.suppressed > 0) ? true : undefined;
      });
      expect(counted).toBe(true);
      // Every refused connect is a line or counted in one.
      expect(mine().reduce((n, l) => n + 1 + l.suppressed, 0)).toBe(made);
    } finally {
      await ok(["rm", "-f", "refused"]);
    }
  }, 150_000);
});
