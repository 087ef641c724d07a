/**
 * ACME on the edge: with BERTH_ACME_DIRECTORY set, a custom domain of a named route gets a
 * certificate from a real ACME server (Pebble, Let's Encrypt's test CA, from Debian) through the
 * http-01 challenge answered by the edge's plain port, and the TLS port serves it (HTTP/2).
 * Pebble resolves every name to 127.0.0.1 through pebble-challtestsrv's DNS, so all traffic
 * stays on loopback.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freePort, ROOT, startInstance, type Instance } from "./harness.js";

type NamedRoutesMod = typeof import("../web/src/edge/named-routes.js");

let b: Instance | undefined;
let work = "";
const children: ChildProcess[] = [];
let tlsPort = 0;
let pebbleMgmt = 0;
let output = "";

function daemon(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  const c = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  c.stdout!.setEncoding("utf8").on("data", (d: string) => (output += d));
  c.stderr!.setEncoding("utf8").on("data", (d: string) => (output += d));
  children.push(c);
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${output.slice(-3000)}\n${b?.logs().slice(-3000) ?? ""}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-acme-"));
  const [edgePort, acmePort, dnsPort, challMgmt] = [await freePort(), await freePort(), await freePort(), await freePort()];
  tlsPort = await freePort();
  pebbleMgmt = await freePort();
  // Pebble's own HTTPS certificate (its API), trusted by the edge through BERTH_ACME_CA_FILE.
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", path.join(work, "pebble.key"), "-out", path.join(work, "pebble.crt")], { stdio: "ignore" });
  fs.writeFileSync(
    path.join(work, "pebble.json"),
    JSON.stringify({ pebble: { listenAddress: `127.0.0.1:${acmePort}`, managementListenAddress: `127.0.0.1:${pebbleMgmt}`, certificate: path.join(work, "pebble.crt"), privateKey: path.join(work, "pebble.key"), httpPort: edgePort, tlsPort: await freePort(), ocspResponderURL: "", externalAccountBindingRequired: false } }),
  );
  // Every A query answers 127.0.0.1 (no AAAA), so the CA checks http-01 against this edge.
  daemon("pebble-challtestsrv", ["-defaultIPv4", "127.0.0.1", "-defaultIPv6", "", "-dns01", `127.0.0.1:${dnsPort}`, "-management", `127.0.0.1:${challMgmt}`, "-http01", "", "-https01", "", "-tlsalpn01", ""]);
  daemon("pebble", ["-config", path.join(work, "pebble.json"), "-dnsserver", `127.0.0.1:${dnsPort}`], { PEBBLE_VA_NOSLEEP: "1" });
  b = await startInstance({
    env: { BERTH_EDGE_PORT: String(edgePort), BERTH_EDGE_TLS_PORT: String(tlsPort), BERTH_ACME_DIRECTORY: `https://127.0.0.1:${acmePort}/dir`, BERTH_ACME_CA_FILE: path.join(work, "pebble.crt"), BERTH_ACME_EMAIL: "ops@example.com" },
  });
  const ok = async (args: string[]) => {
    const r = await b!.berth(args);
    expect(r.code, `berth ${args.join(" ")}: ${r.stderr}`).toBe(0);
    return r.stdout.trim();
  };
  await ok(["team", "create", "acme"]);
  await ok(["run", "-d", "--name", "app", "busybox", "sh", "-c", "mkdir -p /www && echo hello-acme > /www/index.html && exec httpd -f -p 8080 -h /www"]);
  const containerId = await ok(["inspect", "-f", "{{.Id}}", "app"]);
  const named = (await import(path.join(ROOT, "web/dist/src/edge/named-routes.js"))) as NamedRoutesMod;
  await named.setNamedRoute(b.home, "env/acme/shop/production", { upstream: { containerId, port: 8080 }, teamId: "t", linkId: "l", defaultVisibility: "private", public: true, domains: ["shop.example.com"], labels: {}, since: new Date().toISOString() });
}, 180_000);

afterAll(async () => {
  for (const c of children) c.kill("SIGTERM");
  await b?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

it("gets a certificate for a route's domain from an ACME server (http-01) and serves it over HTTP/2", async () => {
  const crt = path.join(b!.home, "edge", "certs", "shop.example.com.crt");
  await until("the ACME certificate", () => fs.existsSync(crt), 120_000);
  // Trust Pebble's root (its management API hands it out), not the certificate itself.
  const root = await new Promise<string>((resolve, reject) =>
    https
      .get(`https://127.0.0.1:${pebbleMgmt}/roots/0`, { ca: fs.readFileSync(path.join(work, "pebble.crt")) }, (res) => {
        let s = "";
        res.setEncoding("utf8").on("data", (d: string) => (s += d));
        res.on("end", () => resolve(s));
      })
      .on("error", reject),
  );
  expect(root).toContain("BEGIN CERTIFICATE");
  fs.writeFileSync(path.join(work, "root.pem"), root);
  const out = await new Promise<string>((resolve, reject) =>
    execFile("curl", ["-sS", "--http2", "--max-time", "20", "--cacert", path.join(work, "root.pem"), "--resolve", `shop.example.com:${tlsPort}:127.0.0.1`, "-w", "\n%{http_code} %{http_version}", `https://shop.example.com:${tlsPort}/index.html`], { encoding: "utf8" }, (err, o, e) => (err ? reject(new Error(`${err.message}: ${e}`)) : resolve(o))),
  );
  expect(out).toBe("hello-acme\n\n200 2");
  // The account key stays for the next order and renewals.
  expect(fs.existsSync(path.join(b!.home, "edge", "acme", "account.key"))).toBe(true);
}, 180_000);
