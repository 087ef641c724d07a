import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { cgroupsOf, freePort, mountsUnder, shimsUnder, useInstance } from "./harness.js";
import { inspectOne, processesOf, runDetached, until } from "./lifecycle-helpers.js";
import { killWorker as killIt, workerBack as backIt } from "./worker-kill.js";

// Docker's live-restore: containers run on while the worker (the daemon) crashes and comes
// back. Each container's parent is its shim (native berth-shim), which holds its output while no
// worker reads and tells the next worker its exit; the new worker adopts what still runs.
const b = useInstance();

async function logLines(name: string): Promise<string[]> {
  const r = await b.berth(["logs", name]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.split("\n").filter(Boolean);
}

const killWorker = () => killIt(b);
const workerBack = (old: number) => backIt(b, old);

const ticks = (lines: string[]) => lines.filter((l) => /^tick \d+$/.test(l)).map((l) => Number(l.slice(5)));

it("kill -9 of the worker: a host-network httpd and a counter run on (same pid, no restart), lose no output, and stop with their real exit code", async () => {
  const port = await freePort();
  await runDetached(b, ["--name", "web", "--network", "host", "busybox", "sh", "-c", `mkdir -p /www && echo hello-live > /www/index.html && exec httpd -f -p 127.0.0.1:${port} -h /www`]);
  // Exits 7 on SIGTERM (a shell as PID 1 ignores it otherwise), after the current line.
  await runDetached(b, ["--name", "counter", "--network", "none", "busybox", "sh", "-c", `trap "exit 7" TERM; i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done`]);
  await until("the httpd answering", async () => (await fetch(`http://127.0.0.1:${port}/index.html`).then((r) => r.text()).catch(() => "")) === "hello-live\n");
  const before = { web: await inspectOne(b, "web"), counter: await inspectOne(b, "counter") };
  // Right after a line reached the log: the next is 200 ms away, so none is in the worker's hands when it dies.
  const seen = ticks(await logLines("counter")).length;
  await until("a new line in the log", async () => ticks(await logLines("counter")).length > seen);
  const old = await killWorker();

  // No worker: the app still answers, from the same process.
  expect(await (await fetch(`http://127.0.0.1:${port}/index.html`)).text()).toBe("hello-live\n");
  expect(fs.existsSync(`/proc/${before.web.State.Pid}`)).toBe(true);
  const atKill = Math.max(...ticks(await logLines("counter")));
  await workerBack(old);

  for (const name of ["web", "counter"] as const) {
    const i = await inspectOne(b, name);
    expect(i.State).toMatchObject({ Status: "running", Running: true, Pid: before[name].State.Pid });
    expect(i.RestartCount).toBe(before[name].RestartCount);
  }
  expect(await (await fetch(`http://127.0.0.1:${port}/index.html`)).text()).toBe("hello-live\n");
  // What the counter wrote while no worker read is in the log: every line, once, in order.
  await until("lines written after the restart", async () => Math.max(...ticks(await logLines("counter"))) > atKill + 10);
  const all = ticks(await logLines("counter"));
  expect(all).toEqual(all.map((_, k) => k + 1));
  // The adopted containers are whole containers again: exec, stop with the real exit code.
  const ex = await b.berth(["exec", "counter", "echo", "inside"]);
  expect(ex.code, ex.stderr).toBe(0);
  expect(ex.stdout).toBe("inside\n");
  const stop = await b.berth(["stop", "counter"]);
  expect(stop.code, stop.stderr).toBe(0);
  expect((await inspectOne(b, "counter")).State).toMatchObject({ Status: "exited", ExitCode: 7 });
  const web = await inspectOne(b, "web");
  expect((await b.berth(["rm", "-f", "web", "counter"])).code).toBe(0);
  expect(processesOf(b.home, web.Id)).toEqual([]);
  expect(fs.existsSync(`/proc/${web.State.Pid}`)).toBe(false);
}, 240_000);

it("a container that exits while the worker is down is Exited with its real exit code and its last output", async () => {
  const ctl = fs.mkdtempSync(path.join(os.tmpdir(), "berth-live-"));
  try {
    const id = await runDetached(b, ["--name", "quitter", "--network", "none", "-v", `${ctl}:/ctl`, "busybox", "sh", "-c", "echo started; while [ ! -e /ctl/go ]; do sleep 0.1; done; echo bye; exit 42"]);
    await until("quitter to start", async () => (await logLines("quitter")).includes("started"));
    const old = await killWorker();
    fs.writeFileSync(path.join(ctl, "go"), "");
    await until("quitter to exit", () => processesOf(b.home, id).length === 0);
    await workerBack(old);
    await until("quitter recorded as exited", async () => (await inspectOne(b, "quitter")).State.Status === "exited");
    const i = await inspectOne(b, "quitter");
    expect(i.State).toMatchObject({ Status: "exited", Running: false, ExitCode: 42 });
    expect(i.State.Error).toBe("");
    expect(i.RestartCount).toBe(0);
    expect(await logLines("quitter")).toEqual(["started", "bye"]);
    expect(shimsUnder(b.home)).toEqual([]);
    expect((await b.berth(["rm", "quitter"])).code).toBe(0);
  } finally {
    fs.rmSync(ctl, { recursive: true, force: true });
  }
}, 240_000);

it("a shim too busy to answer the next worker within its 5 s still gives it the real exit, not a kill", async () => {
  const ctl = fs.mkdtempSync(path.join(os.tmpdir(), "berth-live-"));
  try {
    const id = await runDetached(b, ["--name", "slowshim", "--network", "none", "-v", `${ctl}:/ctl`, "busybox", "sh", "-c", "echo started; while [ ! -e /ctl/go ]; do sleep 0.1; done; exit 42"]);
    await until("slowshim to start", async () => (await logLines("slowshim")).includes("started"));
    const shim = shimsUnder(b.home).find((p) => fs.readlinkSync(`/proc/${p}/cwd`).endsWith(id));
    expect(shim, "the container's shim").toBeDefined();
    const old = await killWorker();
    // A stopped shim answers nobody (as one stuck in a slow fsync on a loaded host), and its container, once it exits, stays unreaped.
    process.kill(shim!, "SIGSTOP");
    try {
      fs.writeFileSync(path.join(ctl, "go"), "");
      await until("slowshim to exit", () => processesOf(b.home, id).length === 0);
      const asked = () => b.logs().split("\n").some((l) => l.includes(id.slice(0, 12)) && l.includes("shim is slow to answer"));
      await until("the next worker to find the shim silent", asked, 90_000);
    } finally {
      process.kill(shim!, "SIGCONT");
    }
    await workerBack(old);
    await until("slowshim recorded as exited", async () => (await inspectOne(b, "slowshim")).State.Status === "exited");
    expect((await inspectOne(b, "slowshim")).State).toMatchObject({ Status: "exited", Running: false, ExitCode: 42, Error: "" });
    expect(shimsUnder(b.home)).toEqual([]);
    expect((await b.berth(["rm", "slowshim"])).code).toBe(0);
  } finally {
    fs.rmSync(ctl, { recursive: true, force: true });
  }
}, 240_000);

it("a terminal container is adopted too; rm -f after adoption leaves no shim, process, cgroup or mount", async () => {
  const id = await runDetached(b, ["-t", "--name", "term", "--network", "none", "busybox", "sh", "-c", "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done"]);
  await until("term output", async () => ticks(await logLines("term")).length > 2);
  const pid = (await inspectOne(b, "term")).State.Pid as number;
  const old = await killWorker();
  const atKill = Math.max(...ticks(await logLines("term")));
  await workerBack(old);
  expect((await inspectOne(b, "term")).State).toMatchObject({ Running: true, Pid: pid });
  await until("terminal output after the restart", async () => Math.max(...ticks(await logLines("term"))) > atKill + 10);
  const ex = await b.berth(["exec", "-t", "term", "echo", "tty-ok"]);
  expect(ex.code, ex.stderr).toBe(0);
  expect(ex.stdout).toContain("tty-ok");

  expect(shimsUnder(b.home).length).toBe(1);
  const rm = await b.berth(["rm", "-f", "term"]);
  expect(rm.code, rm.stderr).toBe(0);
  expect(shimsUnder(b.home)).toEqual([]);
  expect(processesOf(b.home, id)).toEqual([]);
  expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
  expect(mountsUnder(path.join(b.home, "containers"))).toEqual([]);
  for (const root of cgroupsOf(b.home)) expect(fs.existsSync(path.join(root, id)), `${root}/${id}`).toBe(false);
  expect(fs.existsSync(path.join(b.home, "containers", id))).toBe(false);
}, 240_000);
