import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { useInstance } from "./harness.js";
import { inspectOne, runDetached, until } from "./lifecycle-helpers.js";

// Health checks as Docker runs them: the worker probes inside the container; ps, inspect and
// events show the result. Stacks wait on it (depends_on: service_healthy).
const b = useInstance();
const work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-health-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const status = async (name: string) => (await b.berth(["ps", "-a", "--filter", `name=^${name}$`, "--format", "{{.Status}}"])).stdout.trim();

describe("health checks", () => {
  it("--health-cmd: starting, then healthy once the check passes, unhealthy after the retries fail; ps, inspect and events say so", async () => {
    const since = new Date().toISOString();
    await runDetached(b, ["--name", "hc", "--health-cmd", "test -f /tmp/ready && echo fine", "--health-interval", "1s", "--health-retries", "2", "busybox", "sh", "-c", "sleep 2; touch /tmp/ready; sleep 1000"]);
    expect(await status("hc")).toMatch(/^Up .* \(health: starting\)$/);
    await until("healthy", async () => (await status("hc")).endsWith("(healthy)"));
    const i = await inspectOne(b, "hc");
    expect(i.State.Health.Status).toBe("healthy");
    expect(i.State.Health.FailingStreak).toBe(0);
    expect(i.State.Health.Log.at(-1)).toMatchObject({ ExitCode: 0, Output: "fine\n" });
    expect(i.Config.Healthcheck).toMatchObject({ Test: ["CMD-SHELL", "test -f /tmp/ready && echo fine"], Interval: 1e9, Retries: 2 });

    expect((await b.berth(["exec", "hc", "rm", "/tmp/ready"])).code).toBe(0);
    await until("unhealthy", async () => (await status("hc")).endsWith("(unhealthy)"));
    expect((await inspectOne(b, "hc")).State.Health.FailingStreak).toBeGreaterThanOrEqual(2);
    expect((await b.berth(["ps", "--filter", "health=unhealthy", "--format", "{{.Names}}"])).stdout.split("\n")).toContain("hc");
    expect((await b.berth(["ps", "--filter", "health=healthy", "--format", "{{.Names}}"])).stdout.split("\n")).not.toContain("hc");

    const events = (await b.berth(["events", "--since", since, "--until", "0s", "--filter", "container=hc", "--filter", "event=health_status"])).stdout;
    expect(events).toMatch(/container health_status: healthy [0-9a-f]{64}/);
    expect(events).toMatch(/container health_status: unhealthy [0-9a-f]{64}/);
    await b.berth(["rm", "-f", "hc"]);
  }, 120_000);

  it("a probe that outlives --health-timeout is killed and counts as a failure", async () => {
    await runDetached(b, ["--name", "slow", "--health-cmd", "sleep 30", "--health-timeout", "300ms", "--health-interval", "1s", "--health-retries", "1", "busybox", "sleep", "1000"]);
    await until("unhealthy", async () => (await status("slow")).endsWith("(unhealthy)"));
    const log = (await inspectOne(b, "slow")).State.Health.Log;
    expect(log.at(-1)).toMatchObject({ ExitCode: -1, Output: expect.stringMatching(/exceeded timeout/) });
    // Killed probes don't pile up: after several more intervals at most the probe in flight runs.
    await new Promise((r) => setTimeout(r, 4000));
    const top = (await b.berth(["top", "slow"])).stdout;
    expect(top.split("\n").filter((l) => /sleep 30/.test(l)).length).toBeLessThanOrEqual(1);
    await b.berth(["rm", "-f", "slow"]);
  }, 90_000);

  it("runs the image's HEALTHCHECK; --no-healthcheck turns it off; a container without one shows no health", async () => {
    fs.writeFileSync(path.join(work, "Dockerfile"), "FROM busybox\nHEALTHCHECK --interval=1s --timeout=2s CMD [\"true\"]\n");
    expect((await b.berth(["build", "-q", "-t", "checked", work])).code).toBe(0);
    await runDetached(b, ["--name", "img-hc", "checked", "sleep", "1000"]);
    await until("healthy from the image's check", async () => (await status("img-hc")).endsWith("(healthy)"));
    expect((await inspectOne(b, "img-hc")).Config.Healthcheck).toMatchObject({ Test: ["CMD", "true"], Interval: 1e9, Timeout: 2e9 });

    await runDetached(b, ["--name", "no-hc", "--no-healthcheck", "checked", "sleep", "1000"]);
    await runDetached(b, ["--name", "plain", "busybox", "sleep", "1000"]);
    // Give the image's 1 s check time to have run, had it been on.
    await new Promise((r) => setTimeout(r, 2500));
    for (const name of ["no-hc", "plain"]) {
      expect(await status(name)).toMatch(/^Up [^(]*$/);
      expect((await inspectOne(b, name)).State.Health).toBeUndefined();
    }
    expect((await inspectOne(b, "no-hc")).Config.Healthcheck).toEqual({ Test: ["NONE"] });
    expect((await b.berth(["ps", "--filter", "health=none", "--format", "{{.Names}}"])).stdout.split("\n")).toEqual(expect.arrayContaining(["no-hc", "plain"]));
    const bad = await b.berth(["run", "--health-interval", "10", "busybox", "true"]);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toMatch(/--health-interval: "10" is not a duration.*10s/);
    await b.berth(["rm", "-f", "img-hc", "no-hc", "plain"]);
  }, 120_000);
});
