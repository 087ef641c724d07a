import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { cgroupsOf, freePort, mountsUnder, portProxiesOf, shimsUnder, useInstance } from "./harness.js";
import { inspectOne, processesOf, runDetached, until } from "./lifecycle-helpers.js";
import { killWorker, workerBack } from "./worker-kill.js";

// Live restore on bridge networks: a container's network outlives a kill -9 of the worker (the
// veth, its address lease, its anti-spoofing entry, its hosts file, its published ports' proxy),
// and the next worker keeps it for the container it adopts (worker/src/network/startup.ts start).
const b = useInstance();
let work: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-live-bridge-"));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function hostId(): string {
  return fs.readFileSync(path.join(b.home, "host-id"), "utf8").trim();
}

/** This instance's veth host ends (`vb<tag>…`). */
function veths(): string[] {
  const tag = createHash("sha256").update(hostId()).digest("hex").slice(0, 6);
  return fs.readdirSync("/sys/class/net").filter((n) => n.startsWith(`vb${tag}`));
}

/** The address leases the network store holds for a container, as "network ip". */
function leasesOf(id: string): string[] {
  const store = JSON.parse(fs.readFileSync(path.join(b.home, "network", "networks.json"), "utf8")) as { networks: { name: string; endpoints: Record<string, { ip: string }> }[] };
  return store.networks.flatMap((n) => (n.endpoints[id] ? [`${n.name} ${n.endpoints[id].ip}`] : []));
}

/** The anti-spoofing entries (veth . mac . ip) of this instance. */
function antiSpoofEntries(): string {
  const set = execFileSync("nft", ["list", "set", "bridge", `berth-${hostId()}`, "endpoints"], { encoding: "utf8" });
  return set.includes("elements") ? set.slice(set.indexOf("elements")) : "";
}

const page = (port: number) => fetch(`http://127.0.0.1:${port}/index.html`).then((r) => r.text(), () => "");

async function execOut(name: string, cmd: string[]): Promise<string> {
  const r = await b.berth(["exec", name, ...cmd]);
  expect(r.code, `${name}: ${cmd.join(" ")}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Nothing of these removed containers is left: process, shim, port proxy, mount, cgroup, veth, lease, anti-spoofing entry. */
function nothingLeftOf(ids: string[]): void {
  for (const id of ids) {
    expect(processesOf(b.home, id)).toEqual([]);
    expect(leasesOf(id)).toEqual([]);
    for (const root of cgroupsOf(b.home)) expect(fs.existsSync(path.join(root, id)), `${root}/${id}`).toBe(false);
  }
  expect(shimsUnder(b.home)).toEqual([]);
  expect(portProxiesOf(b.home)).toEqual([]);
  expect(mountsUnder(path.join(b.home, "containers"))).toEqual([]);
  expect(veths()).toEqual([]);
  expect(antiSpoofEntries()).toBe("");
}

it("a bridge container's published port answers while the worker is dead and after it returns (same pid, same address); rm -f leaves nothing", async () => {
  const port = await freePort();
  const id = await runDetached(b, ["--name", "web", "-p", `${port}:8080`, "busybox", "sh", "-c", "mkdir -p /www && echo hello-bridge > /www/index.html && exec httpd -f -p 8080 -h /www"]);
  await until("the httpd answering on the published port", async () => (await page(port)) === "hello-bridge\n");
  const before = await inspectOne(b, "web");
  expect(before.NetworkSettings.IPAddress).not.toBe("");
  const old = await killWorker(b);

  // No worker: the port still answers, from the same process.
  expect(await page(port)).toBe("hello-bridge\n");
  // A port proxy that dies meanwhile is started again by the next worker, on the same port.
  const [proxy, ...more] = portProxiesOf(b.home);
  expect(more).toEqual([]);
  process.kill(proxy!, "SIGKILL");
  await until("the port proxy to be gone", () => portProxiesOf(b.home).length === 0);
  expect(await page(port)).toBe("");
  await workerBack(b, old);

  const after = await inspectOne(b, "web");
  expect(after.State).toMatchObject({ Status: "running", Running: true, Pid: before.State.Pid });
  expect(after.RestartCount).toBe(0);
  expect(after.NetworkSettings.IPAddress).toBe(before.NetworkSettings.IPAddress);
  expect(after.NetworkSettings.Ports).toEqual(before.NetworkSettings.Ports);
  expect(await page(port)).toBe("hello-bridge\n");
  // The lease was kept: a container started now gets another address, and reaches web at its own.
  await runDetached(b, ["--name", "peer", "busybox", "sleep", "1000"]);
  expect((await inspectOne(b, "peer")).NetworkSettings.IPAddress).not.toBe(before.NetworkSettings.IPAddress);
  expect(await execOut("peer", ["wget", "-qO-", `http://${before.NetworkSettings.IPAddress}:8080/index.html`])).toBe("hello-bridge\n");
  // The adopted container stops and starts again as any other: its port is bound anew.
  expect((await b.berth(["restart", "-t", "1", "web"])).code).toBe(0);
  await until("the httpd answering after the restart", async () => (await page(port)) === "hello-bridge\n");

  const peer = (await inspectOne(b, "peer")).Id as string;
  const rm = await b.berth(["rm", "-f", "web", "peer"]);
  expect(rm.code, rm.stderr).toBe(0);
  expect(await page(port)).toBe("");
  nothingLeftOf([id, peer]);
}, 240_000);

it("containers on user networks resolve each other by name and alias after the worker returns, on each of their networks", async () => {
  for (const n of ["appnet", "sidenet"]) expect((await b.berth(["network", "create", n])).code).toBe(0);
  const httpd = (text: string) => ["busybox", "sh", "-c", `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`];
  const ids = [
    await runDetached(b, ["--name", "db", "--network", "appnet", "--network-alias", "database", ...httpd("db-page")]),
    await runDetached(b, ["--name", "app", "--network", "appnet", "--add-host", "extra.test:10.9.9.9", "busybox", "sleep", "1000"]),
    await runDetached(b, ["--name", "sidecar", "--network", "sidenet", ...httpd("side-page")]),
  ];
  expect((await b.berth(["network", "connect", "sidenet", "app"])).code).toBe(0);
  await until("db answering app by its alias", async () => (await b.berth(["exec", "app", "wget", "-qO-", "http://database/index.html"])).stdout === "db-page\n");
  const pid = (await inspectOne(b, "app")).State.Pid as number;
  const old = await killWorker(b);
  await workerBack(b, old);

  expect((await inspectOne(b, "app")).State).toMatchObject({ Running: true, Pid: pid });
  expect(await execOut("app", ["wget", "-qO-", "http://db/index.html"])).toBe("db-page\n");
  expect(await execOut("app", ["wget", "-qO-", "http://database/index.html"])).toBe("db-page\n");
  expect(await execOut("app", ["wget", "-qO-", "http://sidecar/index.html"])).toBe("side-page\n");
  // The names stay current: a container started now is known to the adopted ones, and they to it.
  ids.push(await runDetached(b, ["--name", "late", "--network", "appnet", ...httpd("late-page")]));
  expect(await execOut("app", ["wget", "-qO-", "http://late/index.html"])).toBe("late-page\n");
  expect(await execOut("late", ["wget", "-qO-", "http://database/index.html"])).toBe("db-page\n");
  // Its --add-host line is still there after those rewrites of its hosts file.
  expect(await execOut("app", ["cat", "/etc/hosts"])).toContain("10.9.9.9\textra.test\n");
  // connect/disconnect work on an adopted container.
  expect((await b.berth(["network", "disconnect", "sidenet", "app"])).code).toBe(0);
  expect((await b.berth(["exec", "app", "wget", "-T", "2", "-qO-", "http://sidecar/index.html"])).code).not.toBe(0);

  const rm = await b.berth(["rm", "-f", "db", "app", "sidecar", "late"]);
  expect(rm.code, rm.stderr).toBe(0);
  // No endpoint is left on the networks: they can go.
  const netRm = await b.berth(["network", "rm", "appnet", "sidenet"]);
  expect(netRm.code, netRm.stderr).toBe(0);
  nothingLeftOf(ids);
}, 240_000);

it("a bridge container with a published port that exits while the worker is dead gets its exit code; its port, veth and lease go", async () => {
  const ctl = fs.mkdtempSync(path.join(work, "ctl-"));
  const port = await freePort();
  const id = await runDetached(b, ["--name", "quitter", "-p", `${port}:80`, "-v", `${ctl}:/ctl`, "busybox", "sh", "-c", "mkdir -p /www && echo up > /www/index.html && httpd -p 80 -h /www; while [ ! -e /ctl/go ]; do sleep 0.1; done; exit 42"]);
  await until("quitter answering", async () => (await page(port)) === "up\n");
  const old = await killWorker(b);
  fs.writeFileSync(path.join(ctl, "go"), "");
  await until("quitter to exit", () => processesOf(b.home, id).length === 0);
  await workerBack(b, old);

  await until("quitter recorded as exited", async () => (await inspectOne(b, "quitter")).State.Status === "exited");
  expect((await inspectOne(b, "quitter")).State).toMatchObject({ Status: "exited", Running: false, ExitCode: 42, Error: "" });
  expect(await page(port)).toBe("");
  nothingLeftOf([id]);
  expect((await b.berth(["rm", "quitter"])).code).toBe(0);
}, 240_000);

it("a stack (berth stack up) keeps running across a worker kill -9: same containers, its published port, service names", async () => {
  const port = await freePort();
  const dir = path.join(work, "keep");
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, "compose.yaml"),
    `services:
  web:
    image: busybox
    command: ["sh", "-c", "mkdir -p /www && echo stack-page > /www/index.html && exec httpd -f -p 80 -h /www"]
    ports: ["${port}:80"]
  client:
    image: busybox
    command: ["sleep", "3600"]
`,
  );
  const up = await b.berth(["stack", "-f", path.join(dir, "compose.yaml"), "up", "-d"], { timeoutMs: 180_000 });
  expect(up.code, up.stderr).toBe(0);
  await until("the stack's web answering", async () => (await page(port)) === "stack-page\n");
  const pids = { web: (await inspectOne(b, "keep-web-1")).State.Pid as number, client: (await inspectOne(b, "keep-client-1")).State.Pid as number };
  const old = await killWorker(b);
  expect(await page(port)).toBe("stack-page\n");
  await workerBack(b, old);

  for (const s of ["web", "client"] as const) expect((await inspectOne(b, `keep-${s}-1`)).State).toMatchObject({ Running: true, Pid: pids[s] });
  expect(await page(port)).toBe("stack-page\n");
  expect(await execOut("keep-client-1", ["wget", "-qO-", "http://web/index.html"])).toBe("stack-page\n");
  // up again finds nothing to change.
  const again = await b.berth(["stack", "-f", path.join(dir, "compose.yaml"), "up", "-d"], { timeoutMs: 180_000 });
  expect(again.code, again.stderr).toBe(0);
  for (const s of ["web", "client"] as const) expect((await inspectOne(b, `keep-${s}-1`)).State.Pid).toBe(pids[s]);

  expect((await b.berth(["stack", "down", "-p", "keep"])).code).toBe(0);
  expect(await page(port)).toBe("");
  expect(portProxiesOf(b.home)).toEqual([]);
  expect(veths()).toEqual([]);
}, 300_000);
