/**
 * The edge's fast path serves many connections on a few event loops (issue 15): a connection
 * must never wait on another. Many keep-alive clients pipelining at once each get their own
 * answers, whole and in order; clients that stop reading a large answer, or stop halfway through
 * a request head, hold up nobody else, and get their own answer whole once they go on; an end
 * that comes with the last bytes (an answer ended by its connection, a client that ends its side
 * after its request) is seen, and the connection ends then rather than at an idle timeout.
 *
 * The app is Node (the host's /usr, read-only) answering with the path it was asked for; it says
 * whether the request came without a Connection header (the fast path's way; the Node edge's
 * agent sends "connection: keep-alive"), so the test knows the loops served it.
 */
import net from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { useInstance } from "./harness.js";
import { until } from "./poll.js";

const b = useInstance();
const BIG = 8 << 20;
const APP = `
const http = require("http");
const big = Buffer.alloc(${BIG}, 98);
http.createServer((req, res) => {
  const via = req.headers.connection ? "node" : "fast";
  if (req.url === "/big") { res.setHeader("content-length", String(big.length)); return res.end(big); }
  // No length and no chunks: the body ends with the connection.
  if (req.url === "/close") { res.useChunkedEncodingByDefault = false; return res.end(via + " until-close"); }
  if (req.url.startsWith("/c/")) { res.write(via + " "); return setImmediate(() => res.end(req.url)); }
  const body = via + " " + req.url;
  res.setHeader("content-length", String(Buffer.byteLength(body)));
  res.end(body);
}).listen(8080);
`;

let host: string;

interface Parsed {
  status: number;
  body: string;
}

/** Splits `data` into the HTTP/1.1 responses it holds whole (Content-Length or chunked); `rest` is what is left. */
function parseResponses(data: Buffer): { done: Parsed[]; rest: Buffer } {
  const done: Parsed[] = [];
  let at = 0;
  while (true) {
    const end = data.indexOf("\r\n\r\n", at);
    if (end < 0) break;
    const head = data.subarray(at, end).toString("latin1").split("\r\n");
    const status = Number(head[0]!.split(" ")[1]);
    const field = (n: string) => head.find((l) => l.toLowerCase().startsWith(`${n}:`))?.slice(n.length + 1).trim();
    let p = end + 4;
    let body: Buffer;
    if (field("transfer-encoding") === "chunked") {
      const parts: Buffer[] = [];
      let complete = false;
      while (true) {
        const lineEnd = data.indexOf("\r\n", p);
        if (lineEnd < 0) break;
        const size = parseInt(data.subarray(p, lineEnd).toString("latin1"), 16);
        if (data.length < lineEnd + 2 + size + 2) break;
        parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
        p = lineEnd + 2 + size + 2;
        if (size === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) break;
      body = Buffer.concat(parts);
    } else {
      const length = Number(field("content-length") ?? 0);
      if (data.length < p + length) break;
      body = data.subarray(p, p + length);
      p += length;
    }
    done.push({ status, body: body.length > 4096 ? `${body.length} bytes` : body.toString("utf8") });
    at = p;
  }
  return { done, rest: data.subarray(at) };
}

/** A raw client connection that collects the responses it gets. */
class Client {
  readonly socket: net.Socket;
  private data = Buffer.alloc(0);
  readonly answers: Parsed[] = [];
  closed = false;
  constructor() {
    this.socket = net.connect(b.edgePort, "127.0.0.1");
    this.socket.on("data", (c: Buffer) => {
      const { done, rest } = parseResponses(Buffer.concat([this.data, c]));
      this.answers.push(...done);
      this.data = rest;
    });
    this.socket.on("close", () => (this.closed = true));
    this.socket.on("error", () => {});
  }
  send(text: string): void {
    this.socket.write(text);
  }
  /** Resolves once `n` answers have come (fails when the connection ends first). */
  async answered(n: number): Promise<Parsed[]> {
    await until(`${n} answers on one connection`, () => {
      if (this.answers.length < n && this.closed) throw new Error(`the edge closed the connection after ${this.answers.length} of ${n} answers`);
      return this.answers.length >= n;
    });
    return this.answers.slice(0, n);
  }
  end(): void {
    this.socket.destroy();
  }
}

const request = (p: string) => `GET ${p} HTTP/1.1\r\nHost: ${host}\r\n\r\n`;

beforeAll(async () => {
  const run = await b.berth(["run", "-d", "--name", "app", "-v", "/usr:/usr:ro", "-e", `APP=${APP}`, "busybox", "sh", "-c", 'ln -s usr/lib /lib && ln -s usr/lib64 /lib64 && printf "%s" "$APP" > /app.js && exec /usr/bin/node /app.js']);
  expect(run.code, run.stderr).toBe(0);
  const link = await b.berth(["port-link", "set", "app", "8080", "public"]);
  expect(link.code, link.stderr).toBe(0);
  host = new URL(link.stdout.trim().split(" ")[0]!).hostname;
  // The first requests go through the Node edge, which grants: then the fast path serves the host.
  await until("the fast path to serve the app", async () => {
    const c = new Client();
    c.send(request("/probe"));
    const got = await c.answered(1).catch(() => [] as Parsed[]);
    c.end();
    return got[0]?.body === "fast /probe";
  });
}, 180_000);

describe("the fast path's event loops", () => {
  it("many keep-alive clients pipelining at once each get their own answers, whole and in order", async () => {
    const clients = Array.from({ length: 48 }, () => new Client());
    const perClient = 12;
    clients.forEach((c, i) => {
      // Content-Length and chunked answers interleaved, all sent at once.
      c.send(Array.from({ length: perClient }, (_, k) => request(k % 3 === 2 ? `/c/${i}-${k}` : `/n/${i}-${k}`)).join(""));
    });
    const all = await Promise.all(clients.map((c) => c.answered(perClient)));
    all.forEach((answers, i) => {
      expect(answers).toEqual(Array.from({ length: perClient }, (_, k) => ({ status: 200, body: `fast ${k % 3 === 2 ? "/c" : "/n"}/${i}-${k}` })));
    });
    // The connections are still usable afterwards.
    clients[0]!.send(request("/n/again"));
    expect((await clients[0]!.answered(perClient + 1))[perClient]).toEqual({ status: 200, body: "fast /n/again" });
    clients.forEach((c) => c.end());
  }, 120_000);

  it("clients that stop reading a large answer or stop halfway through a head hold up nobody else", async () => {
    // Readers that stop: each asks for 8 MiB and reads none of it (more than the socket buffers hold).
    const slow = Array.from({ length: 6 }, () => new Client());
    for (const c of slow) {
      c.socket.pause();
      c.send(request("/big"));
    }
    // Heads that stop halfway.
    const halves = Array.from({ length: 6 }, () => new Client());
    for (const [i, c] of halves.entries()) c.send(`GET /n/half-${i} HTTP/1.1\r\nHo`);
    // Everyone else is still served, on new connections and pipelined.
    const others = Array.from({ length: 16 }, () => new Client());
    others.forEach((c, i) => c.send(request(`/n/other-${i}-a`) + request(`/c/other-${i}-b`)));
    const got = await Promise.all(others.map((c) => c.answered(2)));
    got.forEach((answers, i) => expect(answers.map((a) => a.body)).toEqual([`fast /n/other-${i}-a`, `fast /c/other-${i}-b`]));
    others.forEach((c) => c.end());
    // The stalled ones go on, and get their own answers whole.
    for (const [i, c] of halves.entries()) c.send(`st: ${host}\r\n\r\n` + request(`/n/half-${i}-next`));
    for (const c of slow) c.socket.resume();
    const halfAnswers = await Promise.all(halves.map((c) => c.answered(2)));
    halfAnswers.forEach((answers, i) => expect(answers.map((a) => a.body)).toEqual([`fast /n/half-${i}`, `fast /n/half-${i}-next`]));
    const bigAnswers = await Promise.all(slow.map((c) => c.answered(1)));
    for (const answers of bigAnswers) expect(answers[0]).toEqual({ status: 200, body: `${BIG} bytes` });
    [...slow, ...halves].forEach((c) => c.end());
  }, 120_000);

  it("an answer ended by its connection, and a client that ends its side after its request, end the connection then", async () => {
    const exchange = (text: string, endSide: boolean) =>
      new Promise<string>((resolve, reject) => {
        const s = net.connect(b.edgePort, "127.0.0.1");
        let got = "";
        s.on("data", (c: Buffer) => (got += c.toString("latin1")));
        s.on("close", () => resolve(got));
        s.on("error", reject);
        if (endSide) s.end(text);
        else s.write(text);
        // Well below the edge's idle timeouts (65 s for a client, 600 s for an upstream): only the
        // end itself closes the connection by then.
        setTimeout(() => reject(new Error(`the connection stayed open; got: ${JSON.stringify(got)}`)), 20_000).unref();
      });
    for (let i = 0; i < 5; i++) {
      const untilClose = await exchange(request("/close"), false);
      expect(untilClose).toMatch(/^HTTP\/1\.1 200 /);
      expect(untilClose.endsWith("\r\n\r\nfast until-close")).toBe(true);
      const halfClosed = await exchange(request(`/n/last-${i}`), true);
      expect(parseResponses(Buffer.from(halfClosed, "latin1")).done).toEqual([{ status: 200, body: `fast /n/last-${i}` }]);
    }
  }, 120_000);
});
