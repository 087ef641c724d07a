import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, useInstance } from "./harness.js";
import { inspectOne, runDetached, until } from "./lifecycle-helpers.js";

// pause/unpause, ps --filter/--format, top and stats end to end.
const b = useInstance();

describe("pause and unpause", () => {
  let id: string;
  const counter = () => {
    try {
      return Number(fs.readFileSync(`${b.home}/containers/${id}/upper/tmp/count`, "utf8").trim());
    } catch {
      return 0;
    }
  };

  it("pause freezes the container: its counter stops, State.Paused, ps says (Paused), exec refused", async () => {
    id = await runDetached(b, ["--name", "counter", "busybox", "sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.1; done"]);
    await until("counting", () => counter() > 3);
    const p = await b.berth(["pause", "counter"]);
    expect(p.stderr).toBe("");
    expect(p.stdout).toBe("counter\n");
    expect(p.code).toBe(0);
    const i = await inspectOne(b, "counter");
    expect(i.State).toMatchObject({ Status: "paused", Running: true, Paused: true });
    expect((await b.berth(["ps", "--filter", "name=counter", "--format", "{{.Status}}|{{.State}}"])).stdout).toMatch(/^Up .* \(Paused\)\|paused\n$/);
    expect((await b.berth(["ps", "-q", "--filter", "status=paused"])).stdout.trim()).toBe(id.slice(0, 12));
    const frozen = counter();
    // Frozen: a second later the counter is where it was (the loop ticks every 0.1 s when running).
    await new Promise((r) => setTimeout(r, 1000));
    expect(counter()).toBe(frozen);
    const exec = await b.berth(["exec", "counter", "true"]);
    expect(exec.code).not.toBe(0);
    expect(exec.stderr).toContain(`Container ${id} is paused, unpause the container before exec`);
    const again = await b.berth(["pause", "counter"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("is already paused");
  }, 60_000);

  it("unpause resumes it", async () => {
    const before = counter();
    const u = await b.berth(["unpause", "counter"]);
    expect(u.stdout).toBe("counter\n");
    expect(u.code).toBe(0);
    await until("counting again", () => counter() > before + 2);
    expect((await inspectOne(b, "counter")).State).toMatchObject({ Status: "running", Paused: false });
  }, 60_000);

  it("stop of a paused container works; pause of a stopped one is refused", async () => {
    expect((await b.berth(["pause", "counter"])).code).toBe(0);
    const s = await b.berth(["stop", "-t", "1", "counter"]);
    expect(s.stderr).toBe("");
    expect(s.code).toBe(0);
    expect((await inspectOne(b, "counter")).State).toMatchObject({ Status: "exited", Paused: false, Running: false });
    const p = await b.berth(["pause", "counter"]);
    expect(p.code).toBe(1);
    expect(p.stderr).toContain(`Container ${id} is not running`);
    const u = await b.berth(["unpause", "counter"]);
    expect(u.code).toBe(1);
  }, 60_000);

  it("kill and rm -f of a paused container work", async () => {
    await runDetached(b, ["--name", "frozen", "busybox", "sleep", "1000"]);
    await until("running", async () => (await inspectOne(b, "frozen")).State.Running === true);
    expect((await b.berth(["pause", "frozen"])).code).toBe(0);
    expect((await b.berth(["kill", "frozen"])).code).toBe(0);
    await until("killed", async () => (await inspectOne(b, "frozen")).State.Status === "exited");
    expect((await inspectOne(b, "frozen")).State.ExitCode).toBe(137);
    await b.berth(["start", "frozen"]);
    await until("running again", async () => (await inspectOne(b, "frozen")).State.Running === true);
    expect((await b.berth(["pause", "frozen"])).code).toBe(0);
    expect((await b.berth(["rm", "-f", "frozen"])).code).toBe(0);
    expect((await b.berth(["inspect", "frozen"])).code).toBe(1);
  }, 60_000);
});

describe("ps --filter and --format", () => {
  it("filters by status, name, label, ancestor, exited and id; formats with templates", async () => {
    const web = await runDetached(b, ["--name", "ps-web", "-l", "app=web", "-l", "tier=front", "busybox", "sleep", "1000"]);
    expect((await b.berth(["run", "--name", "ps-fail", "-l", "app=job", "busybox", "sh", "-c", "exit 4"])).code).toBe(4);
    await until("running", async () => (await inspectOne(b, "ps-web")).State.Running === true);
    const names = async (...args: string[]) => (await b.berth(["ps", ...args, "--format", "{{.Names}}"])).stdout.trim().split("\n").filter(Boolean).sort();
    expect(await names("--filter", "name=ps-")).toEqual(["ps-web"]);
    expect(await names("-a", "--filter", "name=ps-")).toEqual(["ps-fail", "ps-web"]);
    expect(await names("--filter", "status=exited", "--filter", "name=ps-")).toEqual(["ps-fail"]);
    expect(await names("-a", "--filter", "label=app=job")).toEqual(["ps-fail"]);
    expect(await names("-a", "--filter", "label=tier")).toEqual(["ps-web"]);
    expect(await names("-a", "--filter", "exited=4")).toEqual(["ps-fail"]);
    expect(await names("-a", "--filter", "ancestor=busybox", "--filter", "name=ps-")).toEqual(["ps-fail", "ps-web"]);
    expect(await names("--filter", `id=${web.slice(0, 8)}`)).toEqual(["ps-web"]);
    expect(await names("-a", "--filter", "since=ps-web", "--filter", "name=ps-")).toEqual(["ps-fail"]);
    expect(await names("-a", "--filter", "before=ps-fail", "--filter", "name=ps-")).toEqual(["ps-web"]);
    expect((await b.berth(["ps", "-l", "--format", "{{.Names}} {{.State}}"])).stdout).toBe("ps-fail exited\n");
    expect((await b.berth(["ps", "-n", "2", "-q"])).stdout.trim().split("\n")).toHaveLength(2);

    const table = await b.berth(["ps", "--filter", "name=ps-web", "--format", "table {{.ID}}\\t{{.Names}}\\t{{.Labels}}\\t{{.Label \"app\"}}"]);
    expect(table.stdout).toBe(
      `CONTAINER ID   NAMES     LABELS               APP\n${web.slice(0, 12)}   ps-web    app=web,tier=front   web\n`,
    );
    const json = await b.berth(["ps", "--filter", "name=ps-web", "--format", "{{json .}}"]);
    const row = JSON.parse(json.stdout) as Record<string, string>;
    expect(row).toMatchObject({ ID: web.slice(0, 12), Names: "ps-web", Image: "busybox:latest", State: "running", Labels: "app=web,tier=front" });
    expect(row.Status).toMatch(/^Up /);
    expect(row.CreatedAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC$/);
    const full = await b.berth(["ps", "--no-trunc", "--filter", "name=ps-web", "--format", "{{.ID}} {{.Command}}"]);
    expect(full.stdout).toBe(`${web} "sleep 1000"\n`);

    const bad = await b.berth(["ps", "--filter", "colour=red"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("invalid filter 'colour'");
    const badFormat = await b.berth(["ps", "--format", "{{nope .ID}}"]);
    expect(badFormat.code).toBe(1);
    expect(badFormat.stderr).toContain('function "nope" not defined');
  }, 90_000);
});

describe("top and stats", () => {
  it("top lists the container's processes with Docker's columns; ps options pass through", async () => {
    await runDetached(b, ["--name", "topped", "busybox", "sh", "-c", "sleep 1001 & sleep 1002; true"]);
    await until("both sleeps", async () => (await b.berth(["top", "topped"])).stdout.includes("sleep 1002"));
    const t = await b.berth(["top", "topped"]);
    expect(t.code).toBe(0);
    const lines = t.stdout.trim().split("\n");
    expect(lines[0]!.split(/\s+/)).toEqual(["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(7).join(" ")).sort()).toEqual(["sh -c sleep 1001 & sleep 1002; true", "sleep 1001", "sleep 1002"]);
    expect(lines[1]!.split(/\s+/)[0]).toBe("root");
    const withOpts = await b.berth(["top", "topped", "-o", "pid,comm"]);
    expect(withOpts.code).toBe(0);
    expect(withOpts.stdout.split("\n")[0]!.trim().split(/\s+/)).toEqual(["PID", "COMMAND"]);
    expect(withOpts.stdout.trim().split("\n")).toHaveLength(4);
    const stopped = await b.berth(["top", "ps-fail"]);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain("is not running");
  }, 60_000);

  it("stats --no-stream shows the memory limit set with -m and the pids count", async () => {
    await runDetached(b, ["--name", "limited", "-m", "64m", "busybox", "sh", "-c", "sleep 1000 & sleep 1000 & wait"]);
    await until("three processes", async () => (await b.berth(["top", "limited"])).stdout.trim().split("\n").length === 4);
    const s = await b.berth(["stats", "--no-stream", "limited"]);
    expect(s.stderr).toBe("");
    expect(s.code).toBe(0);
    const [head, row] = s.stdout.trim().split("\n");
    expect(head!.split(/\s{2,}/)).toEqual(["CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"]);
    const cells = row!.split(/\s{2,}/);
    expect(cells[1]).toBe("limited");
    expect(cells[2]).toMatch(/^\d+\.\d\d%$/);
    expect(cells[3]).toMatch(/^[\d.]+(B|KiB|MiB) \/ 64MiB$/);
    expect(cells[5]).toMatch(/^[\d.]+k?B \/ [\d.]+k?B$/);
    expect(cells[7]).toBe("3");
    const fmt = await b.berth(["stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}} {{.MemUsage}}", "limited"]);
    expect(fmt.stdout).toMatch(/^limited 3 \S+ \/ 64MiB\n$/);
    const all = await b.berth(["stats", "--no-stream", "--format", "{{.Name}}"]);
    expect(all.stdout.split("\n")).toEqual(expect.arrayContaining(["limited", "topped", "ps-web"]));
  }, 60_000);

  it("stats without --no-stream redraws the table every second until stopped", async () => {
    const child = spawn(process.execPath, [path.join(ROOT, "cli/bin/berth.js"), "stats", "--format", "{{.Name}} {{.PIDs}}", "limited"], {
      env: { ...process.env, BERTH_URL: b.url, BERTH_TOKEN: b.token },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    try {
      await until("two frames", () => out.split("\x1b[2J\x1b[H").length >= 3, 30_000);
    } finally {
      child.kill("SIGINT");
    }
    const frames = out.split("\x1b[2J\x1b[H").filter(Boolean);
    expect(frames.length).toBeGreaterThanOrEqual(2);
    for (const f of frames.slice(0, 2)) expect(f).toBe("limited 3\n");
  }, 60_000);
});
