/**
 * `--add-host HOST:IP` and compose `extra_hosts` (Docker habits): lines in the container's
 * /etc/hosts, `host-gateway` being the host as the container reaches it, so the common
 * `host.docker.internal:host-gateway` reaches a server on the host; shown by inspect and
 * `stack config`; a bad spec is a usage error naming it.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { useInstance } from "./harness.js";
import { ok } from "./cli-result.js";

const b = useInstance();
let work: string;
let server: http.Server;
let port: number;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-extra-hosts-"));
  server = http.createServer((_req, res) => res.end("hello from the host\n"));
  await new Promise<void>((r) => server.listen(0, "0.0.0.0", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  fs.rmSync(work, { recursive: true, force: true });
});

const berth = async (args: string[], timeoutMs = 60_000) => ok(await b.berth(args, { timeoutMs }), `berth ${args.join(" ")}`);

const gatewayOf = async (network: string) => {
  const [n] = JSON.parse((await berth(["network", "inspect", network])).stdout) as { IPAM: { Config: { Gateway: string }[] } }[];
  return n!.IPAM.Config[0]!.Gateway;
};

it("run --add-host writes the lines; host-gateway is the network's gateway and reaches a server on the host; inspect shows them", async () => {
  const gw = await gatewayOf("bridge");
  const hosts = await berth(["run", "--rm", "--add-host", "db.local:10.1.2.3", "--add-host", "v6=fd00::5", "--add-host", "host.docker.internal:host-gateway", "busybox", "cat", "/etc/hosts"]);
  const lines = hosts.stdout.split("\n");
  expect(lines).toContain("10.1.2.3\tdb.local");
  expect(lines).toContain("fd00::5\tv6");
  expect(lines).toContain(`${gw}\thost.docker.internal`);

  const page = await berth(["run", "--rm", "--add-host", "host.docker.internal:host-gateway", "busybox", "wget", "-qO-", `http://host.docker.internal:${port}/`]);
  expect(page.stdout).toBe("hello from the host\n");

  await berth(["run", "-d", "--name", "xh", "--add-host", "a.example:192.0.2.1", "--add-host", "gw:host-gateway", "busybox", "sleep", "300"]);
  const [i] = JSON.parse((await berth(["inspect", "xh"])).stdout) as { HostConfig: { ExtraHosts: string[] | null } }[];
  expect(i!.HostConfig.ExtraHosts).toEqual(["a.example:192.0.2.1", "gw:host-gateway"]);
  // The lines stay when the file is rewritten for a peer joining the network.
  await berth(["network", "create", "xhnet"]);
  await berth(["network", "connect", "xhnet", "xh"]);
  expect((await berth(["exec", "xh", "cat", "/etc/hosts"])).stdout).toContain("192.0.2.1\ta.example");
  await berth(["rm", "-f", "xh"]);
  await berth(["network", "rm", "xhnet"]);

  // --network host: the host's own names, then the lines; host-gateway is the host itself.
  const own = await berth(["run", "--rm", "--network", "host", "--add-host", "hgw:host-gateway", "busybox", "cat", "/etc/hosts"]);
  expect(own.stdout.split("\n")).toContain("127.0.0.1\thgw");
});

it("refuses a bad --add-host (exit 125) saying what is expected", async () => {
  for (const spec of ["nocolon", "bad host:1.2.3.4", "x:not-an-ip"]) {
    const r = await b.berth(["run", "--rm", "--add-host", spec, "busybox", "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain(`invalid argument "${spec}" for "--add-host": use HOST:IP`);
  }
});

it("compose extra_hosts (list and mapping) reach the service's /etc/hosts and stack config", async () => {
  const dir = path.join(work, "xhstack");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, "compose.yaml"),
    `services:
  app:
    image: busybox
    command: ["sleep", "300"]
    extra_hosts:
      - "host.docker.internal:host-gateway"
      - "db.local=10.9.8.7"
  other:
    image: busybox
    command: ["sleep", "300"]
    extra_hosts:
      cache.local: 10.9.8.6
`,
  );
  const file = path.join(dir, "compose.yaml");
  const config = await berth(["stack", "-f", file, "config"]);
  expect(config.stdout).toContain("host.docker.internal=host-gateway");
  expect(config.stdout).toContain("cache.local=10.9.8.6");
  await berth(["stack", "-f", file, "up", "-d"], 180_000);
  const gw = await gatewayOf("xhstack_default");
  const app = (await berth(["stack", "exec", "-p", "xhstack", "app", "cat", "/etc/hosts"])).stdout.split("\n");
  expect(app).toContain(`${gw}\thost.docker.internal`);
  expect(app).toContain("10.9.8.7\tdb.local");
  expect((await berth(["stack", "exec", "-p", "xhstack", "other", "cat", "/etc/hosts"])).stdout.split("\n")).toContain("10.9.8.6\tcache.local");
  await berth(["stack", "down", "-p", "xhstack"]);
}, 240_000);
