import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { useInstance } from "./harness.js";
import { until } from "./poll.js";

// Container lifecycle end to end: CLI → tRPC → the host's queue → worker → native runtime.
const b = useInstance();

/** Pids of processes whose mounts live under this container's directory (its own root). */
function processesOf(id: string): number[] {
  const pids: number[] = [];
  for (const p of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readFileSync(`/proc/${p}/mountinfo`, "utf8").includes(`${b.home}/containers/${id}`)) pids.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return pids;
}

async function runDetached(args: string[]): Promise<string> {
  const r = await b.berth(["run", "-d", ...args]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout.trim();
}

/** The first (only) element of `berth inspect REF`, as parsed JSON (fields checked by the tests). */
async function inspect(ref: string) {
  const r = await b.berth(["inspect", ref]);
  expect(r.code).toBe(0);
  const arr = JSON.parse(r.stdout) as ReturnType<typeof JSON.parse>[];
  expect(arr).toHaveLength(1);
  return arr[0]!;
}

describe("stop", () => {
  it("SIGKILLs after -t when PID 1 ignores SIGTERM: Exited (137); stopping again is fine", async () => {
    await runDetached(["--name", "sleeper", "busybox", "sleep", "1000"]);
    await until("running", async () => (await inspect("sleeper")).State.Running === true);
    const r = await b.berth(["stop", "-t", "1", "sleeper"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("sleeper\n");
    expect(r.code).toBe(0);
    const ps = await b.berth(["ps", "-a"]);
    expect(ps.stdout).toMatch(/Exited \(137\).*sleeper/);
    const again = await b.berth(["stop", "sleeper"]);
    expect(again.code).toBe(0);
  }, 60_000);

  it("refuses a bad timeout as a usage error (125, as Docker's flag parser)", async () => {
    const r = await b.berth(["stop", "-t", "soon", "sleeper"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("invalid timeout");
  });
});

describe("kill", () => {
  it("delivers -s TERM to a shell's trap: its output in the logs, its exit code recorded", async () => {
    await runDetached(["--name", "trapper", "busybox", "sh", "-c", 'trap "echo got TERM; exit 7" TERM; echo ready; while true; do sleep 0.1; done']);
    await until("the trap", async () => (await b.berth(["logs", "trapper"])).stdout.includes("ready"));
    const k = await b.berth(["kill", "-s", "TERM", "trapper"]);
    expect(k.stderr).toBe("");
    expect(k.stdout).toBe("trapper\n");
    expect(k.code).toBe(0);
    const w = await b.berth(["wait", "trapper"]);
    expect(w.stdout).toBe("7\n");
    expect((await b.berth(["logs", "trapper"])).stdout).toBe("ready\ngot TERM\n");
    const i = await inspect("trapper");
    expect(i.State.Status).toBe("exited");
    expect(i.State.ExitCode).toBe(7);
  }, 60_000);

  it("refuses a stopped container and an unknown signal", async () => {
    const stopped = await b.berth(["kill", "trapper"]);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(/is not running/);
    const bad = await b.berth(["kill", "-s", "NOPE", "trapper"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("invalid signal: NOPE");
  });
});

describe("rm", () => {
  it("refuses a running container without -f; -f kills it and leaves nothing behind", async () => {
    const id = await runDetached(["--name", "victim", "busybox", "sleep", "1000"]);
    await until("running", async () => (await inspect("victim")).State.Running === true);
    expect(processesOf(id).length).toBeGreaterThan(0);
    const refused = await b.berth(["rm", "victim"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      `berth: You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`,
    );
    expect(fs.existsSync(`${b.home}/containers/${id}`)).toBe(true);

    const forced = await b.berth(["rm", "-f", "victim"]);
    expect(forced.stderr).toBe("");
    expect(forced.stdout).toBe("victim\n");
    expect(forced.code).toBe(0);
    expect(fs.existsSync(`${b.home}/containers/${id}`)).toBe(false);
    expect(processesOf(id)).toEqual([]);
    const gone = await b.berth(["inspect", "victim"]);
    expect(gone.code).toBe(1);
    expect(gone.stderr.trim()).toBe("berth: Error: No such object: victim");
    expect((await b.berth(["ps", "-a"])).stdout).not.toMatch(/victim/);
  }, 60_000);

  it("removes a stopped container's directory and record", async () => {
    const r = await b.berth(["run", "--name", "done", "busybox", "true"]);
    expect(r.code).toBe(0);
    const id = (await inspect("done")).Id as string;
    expect(fs.existsSync(`${b.home}/containers/${id}`)).toBe(true);
    const rm = await b.berth(["rm", "done"]);
    expect(rm.code).toBe(0);
    expect(fs.existsSync(`${b.home}/containers/${id}`)).toBe(false);
    expect((await b.berth(["rm", "done"])).stderr.trim()).toBe("berth: No such container: done");
  }, 60_000);
});

describe("wait, rename, inspect", () => {
  it("wait prints the exit code once the container stops", async () => {
    const id = await runDetached(["busybox", "sh", "-c", "sleep 1; exit 5"]);
    const w = await b.berth(["wait", id]);
    expect(w.stdout).toBe("5\n");
    expect(w.code).toBe(0);
  }, 60_000);

  it("rename: logs by the new name; the old one is gone; names follow run's rules", async () => {
    expect((await b.berth(["run", "--name", "oldname", "busybox", "echo", "hi"])).code).toBe(0);
    const r = await b.berth(["rename", "oldname", "newname"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect((await b.berth(["logs", "newname"])).stdout).toBe("hi\n");
    expect((await b.berth(["logs", "oldname"])).code).toBe(1);
    expect((await inspect("newname")).Name).toBe("/newname");
    const taken = await b.berth(["rename", "newname", "sleeper"]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/already in use/);
    const bad = await b.berth(["rename", "newname", "bad/name"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('invalid container name "bad/name"');
  }, 60_000);

  it("inspect prints Docker-like JSON", async () => {
    expect((await b.berth(["run", "--name", "insp", "-m", "64m", "busybox", "sh", "-c", "exit 3"])).code).toBe(3);
    const i = await inspect("insp");
    expect(i.Id).toMatch(/^[0-9a-f]{64}$/);
    expect(i.Name).toBe("/insp");
    expect(i.Path).toBe("sh");
    expect(i.Args).toEqual(["-c", "exit 3"]);
    expect(i.State).toMatchObject({ Status: "exited", Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 3 });
    expect(Date.parse(i.State.StartedAt)).toBeGreaterThan(0);
    expect(Date.parse(i.State.FinishedAt)).toBeGreaterThanOrEqual(Date.parse(i.State.StartedAt));
    expect(i.Image).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(i.Config.Image).toBe("busybox:latest");
    expect(i.Config.Cmd).toEqual(["sh", "-c", "exit 3"]);
    expect(i.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(i.HostConfig.AutoRemove).toBe(false);
  }, 60_000);

  it("reports an unknown container in one line, exit 1", async () => {
    for (const cmd of [["stop"], ["kill"], ["rm", "-f"], ["wait"], ["container", "inspect"], ["rename"], ["start"], ["restart"]]) {
      const args = cmd[0] === "rename" ? [...cmd, "nosuch", "other"] : [...cmd, "nosuch"];
      const r = await b.berth(args);
      expect(r.code, cmd.join(" ")).toBe(1);
      // inspect says it as Docker's does ("Error: No such container" with its type; "No such object" without).
      expect(r.stderr.trim(), cmd.join(" ")).toBe(cmd[0] === "container" ? "berth: Error: No such container: nosuch" : "berth: No such container: nosuch");
    }
  }, 60_000);
});

describe("create, start, restart", () => {
  it("create runs nothing; start -a runs it; start again keeps its upper dir", async () => {
    const c = await b.berth(["create", "--name", "fresh", "busybox", "sh", "-c", "echo started >> /mark; cat /mark"]);
    expect(c.stderr).toBe("");
    expect(c.code).toBe(0);
    const id = c.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const created = await inspect("fresh");
    expect(created.State).toMatchObject({ Status: "created", Running: false, Pid: 0 });
    expect(processesOf(id)).toEqual([]);
    expect((await b.berth(["logs", "fresh"])).stdout).toBe("");

    const a = await b.berth(["start", "-a", "fresh"]);
    expect(a.stdout).toBe("started\n");
    expect(a.code).toBe(0);

    const again = await b.berth(["start", "fresh"]);
    expect(again.stderr).toBe("");
    expect(again.stdout).toBe("fresh\n");
    expect((await b.berth(["wait", "fresh"])).stdout).toBe("0\n");
    // The second run saw the first run's write: the container's own layer survives a restart.
    const i = await inspect("fresh");
    expect(i.State).toMatchObject({ Status: "exited", ExitCode: 0 });
    expect(fs.readFileSync(`${b.home}/containers/${id}/upper/mark`, "utf8")).toBe("started\nstarted\n");
  }, 60_000);

  it("create refuses an unknown image with exit 125, as run", async () => {
    const r = await b.berth(["create", "no-such-image"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("No such image: no-such-image:latest");
  });

  it("restart stops and starts a running container", async () => {
    const id = await runDetached(["--name", "rs", "busybox", "sleep", "1000"]);
    await until("running", async () => (await inspect("rs")).State.Running === true);
    const before = await inspect("rs");
    const r = await b.berth(["restart", "-t", "1", "rs"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("rs\n");
    expect(r.code).toBe(0);
    const after = await inspect("rs");
    expect(after.State.Running).toBe(true);
    expect(after.State.Pid).not.toBe(before.State.Pid);
    expect(Date.parse(after.State.StartedAt)).toBeGreaterThan(Date.parse(before.State.StartedAt));
    expect((await b.berth(["rm", "-f", "rs"])).code).toBe(0);
    expect(processesOf(id)).toEqual([]);
  }, 60_000);
});
