/**
 * The `berth` command behind TLS, run as users run it (the file itself, through its first
 * line): NODE_EXTRA_CA_CERTS is moved aside from Node's start (it costs every command tens of
 * milliseconds) but still decides what an https server is trusted by, for each way the CLI
 * talks to the server: tRPC, the build upload, the attached run, socket.io.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ROOT, run, useInstance } from "./harness.js";

const b = useInstance();
const BIN = path.join(ROOT, "cli/bin/berth.js");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-tls-"));
let front: https.Server;
let url: string;

/** A CA of this test's own and a certificate for 127.0.0.1 signed by it (openssl, as an admin would). */
function makeCerts(): { ca: string; key: string; cert: string } {
  const f = (n: string) => path.join(work, n);
  const ssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Berth test CA", "-keyout", f("ca.key"), "-out", f("ca.pem"));
  ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", f("server.key"), "-out", f("server.csr"));
  fs.writeFileSync(f("ext.cnf"), "subjectAltName=IP:127.0.0.1\n");
  ssl("x509", "-req", "-in", f("server.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", f("ext.cnf"), "-out", f("server.pem"));
  return { ca: f("ca.pem"), key: fs.readFileSync(f("server.key"), "utf8"), cert: fs.readFileSync(f("server.pem"), "utf8") };
}

let caFile: string;
beforeAll(async () => {
  const certs = makeCerts();
  caFile = certs.ca;
  const target = new URL(b.url);
  // A TLS front for the instance, as a reverse proxy would be: requests and websocket upgrades.
  front = https.createServer({ key: certs.key, cert: certs.cert }, (req, res) => {
    const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  front.on("upgrade", (req, socket, head) => {
    const up = net.connect(Number(target.port), target.hostname, () => {
      up.write(`${req.method} ${req.url} HTTP/1.1\r\n${Object.entries(req.headers).map(([k, v]) => `${k}: ${String(v)}`).join("\r\n")}\r\n\r\n`);
      up.write(head);
      socket.pipe(up).pipe(socket);
    });
    up.on("error", () => socket.destroy());
    socket.on("error", () => up.destroy());
  });
  await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
  url = `https://127.0.0.1:${(front.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  front?.closeAllConnections();
  await new Promise((r) => front?.close(r));
  fs.rmSync(work, { recursive: true, force: true });
});

const T = 120_000;
const berth = (args: string[], env: NodeJS.ProcessEnv) => run(BIN, args, { env: { ...process.env, BERTH_URL: url, BERTH_TOKEN: b.token, ...env }, timeoutMs: T });

it("trusts an https server through NODE_EXTRA_CA_CERTS for tRPC, build, attached run and socket.io", { timeout: T }, async () => {
  const env = { NODE_EXTRA_CA_CERTS: caFile };
  const ps = await berth(["ps", "-a"], env);
  expect(ps.code, ps.stderr).toBe(0);
  expect(ps.stdout).toMatch(/CONTAINER ID/);

  const ctx = path.join(work, "ctx");
  fs.mkdirSync(ctx);
  fs.writeFileSync(path.join(ctx, "Dockerfile"), "FROM busybox\nCMD [\"echo\", \"built over tls\"]\n");
  const built = await berth(["build", "-t", "tls:1", ctx], env);
  expect(built.code, built.stderr).toBe(0);
  expect(built.stdout).toContain("Successfully tagged tls:1");

  const ran = await berth(["run", "--rm", "tls:1"], env);
  expect(ran.code, ran.stderr).toBe(0);
  expect(ran.stdout).toBe("built over tls\n");

  const id = (await berth(["run", "-d", "busybox", "sh", "-c", "echo followed; sleep 1; echo done"], env)).stdout.trim();
  expect(id).toMatch(/^[0-9a-f]{64}$/);
  const logs = await berth(["logs", "-f", id], env);
  expect(logs.code, logs.stderr).toBe(0);
  expect(logs.stdout).toBe("followed\ndone\n");
});

it("refuses the same server without the CA, and leaves Node's start without the file", { timeout: T }, async () => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const refused = await run(BIN, ["ps"], { env: { ...env, BERTH_URL: url, BERTH_TOKEN: b.token }, timeoutMs: T });
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toMatch(/^berth: /);

  // Node reads NODE_EXTRA_CA_CERTS at its start and warns about a missing file; through the
  // command's first line it is not read there, so a plain-http command says nothing about it.
  const missing = path.join(work, "no-such-ca.pem");
  const direct = await run(process.execPath, ["--", BIN, "ps"], { env: { ...env, NODE_EXTRA_CA_CERTS: missing, BERTH_URL: b.url, BERTH_TOKEN: b.token }, timeoutMs: T });
  expect(direct.code).toBe(0);
  expect(direct.stderr).toContain("Ignoring extra certs");
  const launched = await berth(["ps"], { NODE_EXTRA_CA_CERTS: missing, BERTH_URL: b.url });
  expect(launched.code).toBe(0);
  expect(launched.stderr).toBe("");
  // Over https the CLI reads it then, and warns as Node would.
  const overTls = await berth(["ps"], { NODE_EXTRA_CA_CERTS: missing });
  expect(overTls.stderr).toContain("Ignoring extra certs");
});
