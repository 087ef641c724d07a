import { spawn } from "node:child_process";
import path from "node:path";
import { beforeAll, expect, it } from "vitest";
import { ROOT, useInstance } from "./harness.js";
import { until } from "./poll.js";

// A page of one team lists only that team's events (issue 14's overview): a socket that names its
// team at connect (the dashboard's /t/[team], the CLI's current team) gets that team's events, in
// the replay and live, even when its user may see other teams' too.
const b = useInstance();
const inTeam = (team: string, args: string[]) => b.berth(args, { env: { BERTH_TEAM: team } });

let since = "";
beforeAll(async () => {
  since = String(Math.floor(Date.now() / 1000) - 1);
  expect((await b.berth(["team", "create", "red"])).code).toBe(0);
  expect((await b.berth(["team", "create", "blue"])).code).toBe(0);
  expect((await inTeam("red", ["run", "--rm", "--name", "ev-red", "busybox", "true"])).code).toBe(0);
  expect((await inTeam("blue", ["run", "--rm", "--name", "ev-blue", "busybox", "true"])).code).toBe(0);
}, 120_000);

it("replays only the named team's events to a reader in that team", async () => {
  const red = (await inTeam("red", ["events", "--since", since, "--until", "0s", "--filter", "type=container"])).stdout;
  expect(red).toMatch(/container start \w+ \(.*name=ev-red/);
  expect(red).not.toContain("ev-blue");
  const blue = (await inTeam("blue", ["events", "--since", since, "--until", "0s", "--filter", "type=container"])).stdout;
  expect(blue).toContain("name=ev-blue");
  expect(blue).not.toContain("ev-red");
}, 60_000);

it("streams only the named team's events live", async () => {
  const child = spawn(process.execPath, [path.join(ROOT, "cli/bin/berth.js"), "events", "--filter", "type=container"], {
    env: { ...process.env, BERTH_URL: b.url, BERTH_TOKEN: b.token, BERTH_HOME: b.home, BERTH_TEAM: "red" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  try {
    // Events before the stream is open are not shown: run in red until one is seen, then blue, then red once more.
    let n = 0;
    await until("the stream to be open", async () => {
      await inTeam("red", ["run", "--rm", "--name", `probe-red-${n++}`, "busybox", "true"]);
      return out.includes("name=probe-red");
    });
    expect((await inTeam("blue", ["run", "--rm", "--name", "live-blue", "busybox", "true"])).code).toBe(0);
    expect((await inTeam("red", ["run", "--rm", "--name", "live-red", "busybox", "true"])).code).toBe(0);
    await until("red's destroy after blue's run", () => /destroy \w+ \(.*name=live-red/.test(out));
    expect(out).not.toContain("live-blue");
  } finally {
    child.kill("SIGINT");
    await closed;
  }
}, 120_000);
