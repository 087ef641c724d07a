import { describe, expect, it } from "vitest";
import { useInstance } from "./harness.js";
import { inspectOne, processesOf, runDetached, until } from "./lifecycle-helpers.js";

// Restart policies end to end: the worker applies them when a container exits.
const b = useInstance();

const runs = async (ref: string) => (await b.berth(["logs", ref])).stdout.split("\n").filter((l) => l === "run").length;

describe("--restart", () => {
  it("on-failure:3 restarts exactly three times, then stays exited with the code", async () => {
    await runDetached(b, ["--name", "flaky", "--restart", "on-failure:3", "busybox", "sh", "-c", "echo run; exit 3"]);
    await until("three restarts and the end", async () => {
      const i = await inspectOne(b, "flaky");
      return i.State.Status === "exited" && i.RestartCount === 3;
    });
    const i = await inspectOne(b, "flaky");
    expect(i.State).toMatchObject({ Status: "exited", Running: false, Restarting: false, ExitCode: 3 });
    expect(i.HostConfig.RestartPolicy).toEqual({ Name: "on-failure", MaximumRetryCount: 3 });
    // One first run and three restarts: four runs in the log.
    expect(await runs("flaky")).toBe(4);
    expect((await b.berth(["ps", "-a", "--filter", "name=flaky", "--format", "{{.Status}}"])).stdout).toMatch(/^Exited \(3\)/);
  }, 90_000);

  it("on-failure does not restart a container that exits 0", async () => {
    expect((await b.berth(["run", "--name", "fine", "--restart", "on-failure", "busybox", "sh", "-c", "echo run"])).code).toBe(0);
    const i = await inspectOne(b, "fine");
    expect(i.State).toMatchObject({ Status: "exited", ExitCode: 0 });
    expect(i.RestartCount).toBe(0);
  }, 60_000);

  it("always brings a container back after its command exits 0", async () => {
    const id = await runDetached(b, ["--name", "again", "--restart", "always", "busybox", "sh", "-c", "echo run; sleep 1"]);
    await until("a restart", async () => (await inspectOne(b, "again")).RestartCount >= 1 && (await runs("again")) >= 2);
    expect((await inspectOne(b, "again")).HostConfig.RestartPolicy.Name).toBe("always");
    // rm -f ends it for good, whether running or waiting for its next restart.
    expect((await b.berth(["rm", "-f", "again"])).code).toBe(0);
    expect(processesOf(b.home, id)).toEqual([]);
    expect((await b.berth(["inspect", "again"])).code).toBe(1);
  }, 90_000);

  it("unless-stopped stays stopped after stop; start brings it back with a fresh count", async () => {
    await runDetached(b, ["--name", "keeper", "--restart", "unless-stopped", "busybox", "sleep", "1000"]);
    await until("running", async () => (await inspectOne(b, "keeper")).State.Running === true);
    const stop = await b.berth(["stop", "-t", "1", "keeper"]);
    expect(stop.stderr).toBe("");
    expect(stop.code).toBe(0);
    // stop returns once the exit is recorded, restart decision included.
    const i = await inspectOne(b, "keeper");
    expect(i.State).toMatchObject({ Status: "exited", Running: false, Restarting: false });
    expect(i.RestartCount).toBe(0);
    expect((await b.berth(["ps", "-q", "--filter", "name=keeper"])).stdout).toBe("");
    expect((await b.berth(["start", "keeper"])).stdout).toBe("keeper\n");
    expect((await inspectOne(b, "keeper")).State.Running).toBe(true);
    expect((await b.berth(["rm", "-f", "keeper"])).code).toBe(0);
  }, 60_000);

  it("kill marks the container stopped by the user: always does not restart it", async () => {
    await runDetached(b, ["--name", "killed", "--restart", "always", "busybox", "sleep", "1000"]);
    await until("running", async () => (await inspectOne(b, "killed")).State.Running === true);
    expect((await b.berth(["kill", "killed"])).code).toBe(0);
    await until("exited", async () => (await inspectOne(b, "killed")).State.Status === "exited");
    expect((await inspectOne(b, "killed")).RestartCount).toBe(0);
  }, 60_000);

  it("a restarting container: rm without -f refuses, stop ends the restarts", async () => {
    const id = await runDetached(b, ["--name", "crashy", "--restart", "always", "busybox", "sh", "-c", "exit 1"]);
    // A failure names the state it last saw (and the worker's lines about the container).
    let last: unknown;
    const state = async () => {
      const i = await inspectOne(b, "crashy");
      last = { State: i.State, RestartCount: i.RestartCount };
      return i;
    };
    const seen = (e: Error) => {
      throw new Error(`${e.message}: last ${JSON.stringify(last)}\n${b.logs().split("\n").filter((l) => l.includes(id.slice(0, 12))).slice(-20).join("\n")}`);
    };
    // The backoff doubles (100 ms, 200 ms, …): soon a restart is pending long enough to see.
    await until("restarting", async () => (await state()).State.Restarting === true, 25_000).catch(seen);
    const refused = await b.berth(["rm", "crashy"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/You cannot remove a (restarting|running) container/);
    expect((await b.berth(["stop", "crashy"])).code).toBe(0);
    await until("stopped", async () => (await state()).State.Status === "exited", 20_000).catch(seen);
    const count = (await inspectOne(b, "crashy")).RestartCount as number;
    expect((await inspectOne(b, "crashy")).RestartCount).toBe(count);
    expect((await b.berth(["rm", "crashy"])).code).toBe(0);
  }, 60_000);

  it("refuses a bad policy and --restart with --rm (exit 125)", async () => {
    const bad = await b.berth(["run", "--restart", "sometimes", "busybox", "true"]);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain('invalid restart policy "sometimes"');
    const count = await b.berth(["run", "--restart", "always:3", "busybox", "true"]);
    expect(count.code).toBe(125);
    expect(count.stderr).toContain("maximum retry count cannot be used with restart policy 'always'");
    const rm = await b.berth(["run", "--rm", "--restart", "always", "busybox", "true"]);
    expect(rm.code).toBe(125);
    expect(rm.stderr).toContain("Conflicting options: --restart and --rm");
  }, 60_000);
});
