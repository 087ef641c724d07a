import { spawn } from "node:child_process";
import path from "node:path";
import { expect, it } from "vitest";
import { ROOT, useInstance } from "./harness.js";
import { until } from "./poll.js";

// `berth events`: recent events replayed with --since, live ones streamed, Docker's line and filters.
const b = useInstance();

const TIME = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z`;

it("replays a run --rm's create, start, die and destroy with --since, with Docker's fields", async () => {
  const since = String(Math.floor(Date.now() / 1000) - 1);
  const r = await b.berth(["run", "--rm", "--name", "evrm", "busybox", "sh", "-c", "exit 3"]);
  expect(r.code).toBe(3);
  const id = (await b.berth(["events", "--since", since, "--until", "0s", "--filter", "container=evrm"])).stdout;
  const lines = id.trimEnd().split("\n");
  const actions = lines.map((l) => l.split(" ")[2]);
  expect(actions).toEqual(["create", "start", "die", "destroy"]);
  const cid = lines[0]!.split(" ")[3]!;
  expect(cid).toMatch(/^[0-9a-f]{64}$/);
  expect(lines[0]).toMatch(new RegExp(`^${TIME} container create ${cid} \\(image=busybox:latest, name=evrm\\)$`));
  expect(lines[2]).toMatch(new RegExp(`^${TIME} container die ${cid} \\(exitCode=3, image=busybox:latest, name=evrm\\)$`));
  // Filters: by action, by type.
  const dies = await b.berth(["events", "--since", since, "--until", "0s", "--filter", "container=evrm", "--filter", "event=die"]);
  expect(dies.stdout.trimEnd().split("\n")).toHaveLength(1);
  const images = await b.berth(["events", "--since", since, "--until", "0s", "--filter", "type=image", "--filter", "container=evrm"]);
  expect(images.stdout).toBe("");
  // --format '{{json .}}': Docker's event JSON.
  const json = await b.berth(["events", "--since", since, "--until", "0s", "--filter", "event=start", "--filter", "container=evrm", "--format", "{{json .}}"]);
  const ev = JSON.parse(json.stdout.trim()) as { Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> }; timeNano: number };
  expect(ev).toMatchObject({ Type: "container", Action: "start", Actor: { ID: cid, Attributes: { name: "evrm", image: "busybox:latest" } } });
  expect(ev.timeNano).toBeGreaterThan(Number(since) * 1e9);
  const tpl = await b.berth(["events", "--since", since, "--until", "0s", "--filter", "event=die", "--filter", "container=evrm", "--format", "{{.Actor.Attributes.exitCode}} {{.Type}}"]);
  expect(tpl.stdout).toBe("3 container\n");
}, 60_000);

it("streams live events until interrupted, and publishes stop, kill, rename and image tag", async () => {
  const child = spawn(process.execPath, [path.join(ROOT, "cli/bin/berth.js"), "events", "--filter", "type=container", "--filter", "type=image"], {
    env: { ...process.env, BERTH_URL: b.url, BERTH_TOKEN: b.token, BERTH_HOME: b.home },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  // Events that happen before the stream is open are not shown: publish until one is seen.
  await until("the stream to be open", async () => {
    await b.berth(["tag", "busybox", "probe:1"]);
    return out.includes("image tag");
  });
  expect((await b.berth(["run", "-d", "--name", "evlive", "busybox", "sleep", "60"])).code).toBe(0);
  expect((await b.berth(["kill", "-s", "USR1", "evlive"])).code).toBe(0);
  expect((await b.berth(["rename", "evlive", "evlive2"])).code).toBe(0);
  expect((await b.berth(["stop", "-t", "1", "evlive2"])).code).toBe(0);
  await until("the stop event", () => /container stop \S+ \(image=busybox:latest, name=evlive2\)/.test(out));
  child.kill("SIGINT");
  await closed;
  expect(out).toMatch(/container kill \S+ \(image=busybox:latest, name=evlive, signal=10\)/);
  expect(out).toMatch(/container rename \S+ \(image=busybox:latest, name=evlive2, oldName=\/evlive\)/);
  expect(out).toMatch(/image tag sha256:[0-9a-f]{64} \(name=probe:1\)/);
  const order = ["create", "start", "kill", "rename", "die", "stop"].map((a) => out.indexOf(`container ${a} `));
  expect(order.every((i) => i >= 0)).toBe(true);
  expect([...order].sort((x, y) => x - y)).toEqual(order);
}, 90_000);

it("refuses an unknown filter", async () => {
  const r = await b.berth(["events", "--filter", "colour=red", "--until", "0s"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("Invalid filter 'colour'");
});
