/**
 * `stop_grace_period` on `stack stop` and `stack down` (the stop signal, then SIGKILL only after
 * the grace period), and `depends_on: {restart: true}` (a dependency recreated by `up` restarts
 * its dependants; one without it keeps running), as Compose does (issue 15).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { useInstance } from "./harness.js";

const b = useInstance();
let work: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-stack-life-"));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function write(name: string, compose: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "compose.yaml"), compose);
  return path.join(dir, "compose.yaml");
}

async function ok(args: string[]) {
  const r = await b.berth(args, { timeoutMs: 180_000 });
  expect(r.code, `berth ${args.join(" ")}:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

interface Row {
  id: string;
  service: string;
  state: string;
  exitCode: number | null;
}
const ps = async (name: string) => JSON.parse((await ok(["stack", "ps", "-p", name, "--format", "json"])).stdout) as Row[];

// On SIGTERM each writes "term" to its volume, takes `pause` seconds to shut down, writes "done" and exits 0.
const trapping = (file: string, pause: number) =>
  `["sh", "-c", "trap 'echo term >> /data/${file}; sleep ${pause}; echo done >> /data/${file}; exit 0' TERM; echo up; while true; do sleep 0.2; done"]`;

const GRACE = `services:
  patient:
    image: busybox
    command: ${trapping("patient", 1)}
    stop_grace_period: 30s
    volumes: [data:/data]
  hasty:
    image: busybox
    command: ${trapping("hasty", 60)}
    stop_grace_period: 1s
    volumes: [data:/data]
volumes:
  data: {}
`;

/** What the stack's volume holds in `file`, read by a container of its own. */
async function volumeFile(volume: string, file: string): Promise<string> {
  const r = await ok(["run", "--rm", "-v", `${volume}:/data`, "busybox", "cat", `/data/${file}`]);
  return r.stdout;
}

/** Until every container of the stack has printed its first line (its trap is set). */
async function trapsSet(name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await ok(["stack", "logs", "-p", name]);
    if ((r.stdout.match(/\| up/g) ?? []).length >= 2) return;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`the containers of ${name} never started their traps`);
}

it("stack stop: SIGTERM, then the service's stop_grace_period before SIGKILL", async () => {
  const file = write("gracestop", GRACE);
  await ok(["stack", "-f", file, "up", "-d"]);
  await trapsSet("gracestop");
  const r = await ok(["stack", "stop", "-p", "gracestop"]);
  expect(r.stderr).toMatch(/Container gracestop-patient-1\s+Stopped/);
  const rows = Object.fromEntries((await ps("gracestop")).map((x) => [x.service, x]));
  // patient finished its shutdown within 30 s and exited by itself; hasty was killed after 1 s.
  expect([rows.patient!.state, rows.patient!.exitCode]).toEqual(["exited", 0]);
  expect([rows.hasty!.state, rows.hasty!.exitCode]).toEqual(["exited", 137]);
  expect(await volumeFile("gracestop_data", "patient")).toBe("term\ndone\n");
  expect(await volumeFile("gracestop_data", "hasty")).toBe("term\n");
  // start brings the same containers back.
  const ids = (await ps("gracestop")).map((x) => x.id).sort();
  await ok(["stack", "start", "-p", "gracestop"]);
  const again = await ps("gracestop");
  expect(again.map((x) => x.id).sort()).toEqual(ids);
  expect(again.map((x) => x.state)).toEqual(["running", "running"]);
  // up on the stopped stack starts the same containers: one start event each, as Docker's (not one from the start and one from the stack).
  await ok(["stack", "stop", "-p", "gracestop"]);
  const since = String(Math.floor(Date.now() / 1000) - 1);
  await ok(["stack", "-f", file, "up", "-d"]);
  const events = await ok(["events", "--since", since, "--until", String(Math.floor(Date.now() / 1000) + 1), "--filter", "event=start", "--format", "{{.Actor.ID}}"]);
  expect(events.stdout.trim().split("\n").filter((l) => ids.some((id) => id.startsWith(l) || l.startsWith(id))).length, events.stdout + events.stderr).toBe(2);
  await ok(["stack", "down", "-v", "-p", "gracestop"]);
}, 300_000);

it("stack down: each container gets its stop_grace_period before it is removed", async () => {
  const file = write("gracedown", GRACE);
  await ok(["stack", "-f", file, "up", "-d"]);
  await trapsSet("gracedown");
  const r = await ok(["stack", "down", "-p", "gracedown"]);
  expect(r.stderr).toMatch(/Container gracedown-patient-1\s+Removed/);
  expect(await ps("gracedown")).toEqual([]);
  // Its volume stays (no -v): patient shut down cleanly, hasty was cut off at its 1 s.
  expect(await volumeFile("gracedown_data", "patient")).toBe("term\ndone\n");
  expect(await volumeFile("gracedown_data", "hasty")).toBe("term\n");
  await ok(["volume", "rm", "gracedown_data"]);
}, 300_000);

it("depends_on restart: true: a dependency recreated by up restarts its dependant; one without it keeps running", async () => {
  const compose = (version: string) => `services:
  db:
    image: busybox
    command: ["sh", "-c", "echo db ${version}; exec sleep 3600"]
  app:
    image: busybox
    command: ["sh", "-c", "echo app started; exec sleep 3600"]
    depends_on: { db: { condition: service_started, restart: true } }
  other:
    image: busybox
    command: ["sh", "-c", "echo other started; exec sleep 3600"]
    depends_on: [db]
`;
  const file = write("restarts", compose("1"));
  await ok(["stack", "-f", file, "up", "-d"]);
  const before = Object.fromEntries((await ps("restarts")).map((x) => [x.service, x.id]));
  fs.writeFileSync(file, compose("2"));
  const r = await ok(["stack", "-f", file, "up", "-d"]);
  expect(r.stderr).toMatch(/Container restarts-db-1\s+Recreated/);
  expect(r.stderr).toMatch(/Container restarts-app-1\s+Restarted/);
  expect(r.stderr).toMatch(/Container restarts-other-1\s+Running/);
  const after = Object.fromEntries((await ps("restarts")).map((x) => [x.service, x]));
  // The same containers (restarted, not recreated), all running again.
  expect(after.app!.id).toBe(before.app);
  expect(after.other!.id).toBe(before.other);
  expect(Object.values(after).map((x) => x.state)).toEqual(["running", "running", "running"]);
  // app ran its command twice; other once.
  const logs = async (svc: string) => (await ok(["stack", "logs", "-p", "restarts", svc])).stdout;
  expect((await logs("app")).match(/app started/g)).toHaveLength(2);
  expect((await logs("other")).match(/other started/g)).toHaveLength(1);
  await ok(["stack", "down", "-p", "restarts"]);
}, 300_000);
