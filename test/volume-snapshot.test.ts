/**
 * Copy-on-write volumes: `berth volume create NEW --from SRC` (issue 16, "data for previews").
 * Real kernel overlay mounts, real containers, a real Berth: the snapshot starts with SRC's
 * data (a 200 MiB file among it), each side's writes stay its own, another team cannot reach
 * SRC, a worker killed with -9 comes back with both mounted, removing either side leaves the
 * other whole, and a snapshot a crash left half-made is undone at the next start.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { mountsUnder, startInstance, type Instance, type RunResult } from "./harness.js";
import { until } from "./lifecycle-helpers.js";

const TEAM = "crew";
const BIG = 200 * 1024 * 1024;
let b: Instance;
let bob: { token: string; team: string };

const crew = (args: string[]) => b.berth(args, { env: { BERTH_TEAM: TEAM } });
async function ok(args: string[], as = crew): Promise<string> {
  const r: RunResult = await as(args);
  expect(r.code, `berth ${args.join(" ")}: ${r.stderr}`).toBe(0);
  return r.stdout;
}
/** What a throwaway container sees on volume `vol` mounted at /data. */
const sh = (vol: string, script: string) => ok(["run", "--rm", "-v", `${vol}:/data`, "busybox", "sh", "-c", script]);
const mountpoint = async (vol: string) => (JSON.parse(await ok(["volume", "inspect", vol])) as { Mountpoint: string }[])[0]!.Mountpoint;
const bobBerth = (args: string[]) => b.berth(args, { env: { BERTH_TOKEN: bob.token, BERTH_TEAM: bob.team, XDG_CONFIG_HOME: `${b.home}/cfg-bob` } });

async function usage(): Promise<Record<string, number | null>> {
  const res = await fetch(`${b.url}/api/trpc/volume.usage`, { headers: { authorization: `Bearer ${b.token}`, "x-berth-team": TEAM } });
  const body = (await res.json()) as { result?: { data: { name: string; size: number | null }[] }; error?: { message: string } };
  if (!body.result) throw new Error(`volume.usage: ${body.error?.message}`);
  return Object.fromEntries(body.result.data.map((v) => [v.name, v.size]));
}

function workerPids(home: string): number[] {
  return fs
    .readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes("worker/dist/main.js") && fs.readFileSync(`/proc/${p}/environ`, "utf8").split("\0").includes(`BERTH_HOME=${home}`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const layersOnDisk = () => fs.readdirSync(path.join(b.home, "volumes", "layers")).sort();

beforeAll(async () => {
  b = await startInstance();
  await ok(["team", "create", TEAM], (args) => b.berth(args));
  const r = await b.berth(["user", "create", "bob"]);
  expect(r.code, r.stderr).toBe(0);
  bob = { token: r.stdout.trim(), team: "blue" };
  const made = await b.berth(["team", "create", "blue"], { env: { BERTH_TOKEN: bob.token, XDG_CONFIG_HOME: `${b.home}/cfg-bob` } });
  expect(made.code, made.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  if (b) await b.stop();
}, 120_000);

it("a snapshot starts with the source's data, and each side's writes stay its own", async () => {
  await ok(["volume", "create", "src"]);
  // The root's owner and mode as a database sets them (postgres refuses anything but its own 0700).
  await sh("src", "echo hello > /data/a && mkdir /data/d && echo below > /data/d/b && chown 999:999 /data && chmod 700 /data");
  // The large file made on the host, with real blocks: a copy would have to move all of it.
  execFileSync("fallocate", ["-l", String(BIG), path.join(await mountpoint("src"), "big")]);

  expect((await ok(["volume", "create", "snap", "--from", "src"])).trim()).toBe("snap");
  expect(await sh("snap", "cat /data/a /data/d/b; stat -c %s /data/big; stat -c '%u:%g %a' /data")).toBe(`hello\nbelow\n${BIG}\n999:999 700\n`);
  expect(await sh("src", "stat -c '%u:%g %a' /data")).toBe("999:999 700\n");

  // Writes in the snapshot (change, delete, add) do not reach the source.
  await sh("snap", "echo snapshot > /data/a && rm /data/d/b && echo new > /data/n");
  expect(await sh("src", "cat /data/a /data/d/b; ls /data")).toBe("hello\nbelow\na\nbig\nd\n");

  // Writes to the source after the snapshot do not show in it: a frozen copy.
  await sh("src", "echo later > /data/a && echo s > /data/s && rm /data/big");
  expect(await sh("snap", "cat /data/a; ls /data /data/d; stat -c %s /data/big")).toBe(`snapshot\n/data:\na\nbig\nd\nn\n\n/data/d:\n${BIG}\n`);
  expect(await sh("src", "cat /data/a; ls /data")).toBe("later\na\nd\ns\n");

  // Disk use: the snapshot is charged its own writes only; the frozen 200 MiB is its source's.
  const sizes = await usage();
  expect(sizes.snap).toBeLessThan(1024 * 1024);
  expect(sizes.src).toBeGreaterThanOrEqual(BIG);
}, 180_000);

it("a snapshot of a snapshot stacks, and a new name that exists is refused", async () => {
  expect((await ok(["volume", "create", "snap2", "--from", "snap"])).trim()).toBe("snap2");
  expect(await sh("snap2", "cat /data/a /data/n; ls /data")).toBe("snapshot\nnew\na\nbig\nd\nn\n");
  await sh("snap2", "echo two > /data/a");
  expect(await sh("snap", "cat /data/a")).toBe("snapshot\n");
  const again = await crew(["volume", "create", "snap2", "--from", "src"]);
  expect(again.code).not.toBe(0);
  expect(again.stderr).toMatch(/volume snap2 already exists/);
  expect(await sh("snap2", "cat /data/a")).toBe("two\n");
}, 180_000);

it("another team's volume answers as one that does not exist, and a missing source is named", async () => {
  const other = await bobBerth(["volume", "create", "mine", "--from", "src"]);
  const missing = await crew(["volume", "create", "mine", "--from", "nosuch"]);
  expect(other.code).not.toBe(0);
  expect(other.stderr).toMatch(/No such volume: src/);
  expect(missing.stderr).toMatch(/No such volume: nosuch/);
  expect(other.stderr.replace("src", "<V>")).toBe(missing.stderr.replace("nosuch", "<V>"));
  expect((await bobBerth(["volume", "ls", "-q"])).stdout).toBe("");
});

it("refuses to snapshot a volume a running container writes to, naming the container", async () => {
  const id = (await ok(["run", "-d", "--name", "holder", "-v", "src:/data", "busybox", "sleep", "1000"])).trim();
  const r = await crew(["volume", "create", "busy", "--from", "src"]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(new RegExp(`cannot snapshot src: running container\\(s\\) \\[${id.slice(0, 12)}\\] mount it.*stop them first`));
  await ok(["rm", "-f", "holder"]);
  expect((await ok(["volume", "ls", "-q"])).split("\n")).not.toContain("busy");
}, 120_000);

it("a worker killed with -9 comes back with every copy-on-write volume mounted as it was", async () => {
  const [worker] = workerPids(b.home);
  expect(worker, "the instance's worker").toBeDefined();
  process.kill(worker!, "SIGKILL");
  await until("a new worker", () => workerPids(b.home).some((p) => p !== worker), 60_000);
  await until("the new worker answering", async () => (await crew(["volume", "ls", "-q"])).code === 0 && (await crew(["run", "--rm", "busybox", "true"])).code === 0, 90_000);
  expect(await sh("src", "cat /data/a; ls /data")).toBe("later\na\nd\ns\n");
  expect(await sh("snap", "cat /data/a; stat -c %s /data/big")).toBe(`snapshot\n${BIG}\n`);
  expect(await sh("snap2", "cat /data/a")).toBe("two\n");
  // One overlay per copy-on-write volume, none mounted twice over the restart.
  const mounts = mountsUnder(path.join(b.home, "volumes"));
  expect(mounts).toHaveLength(3);
  expect(new Set(mounts).size).toBe(3);
}, 240_000);

it("removing a snapshot discards it; removing the source keeps the frozen data for its snapshots", async () => {
  await ok(["volume", "rm", "snap"]);
  expect(await sh("src", "cat /data/a /data/d/b")).toBe("later\nbelow\n");
  expect(await sh("snap2", "cat /data/a /data/n")).toBe("two\nnew\n");

  await ok(["volume", "rm", "src"]);
  expect(await sh("snap2", "cat /data/a /data/d/b 2>&1; stat -c %s /data/big")).toMatch(new RegExp(`^two\\n.*No such file.*\\n${BIG}\\n$`));
  expect(layersOnDisk().length).toBeGreaterThan(0);

  await ok(["volume", "rm", "snap2"]);
  expect(layersOnDisk()).toEqual([]);
  expect(mountsUnder(path.join(b.home, "volumes"))).toEqual([]);
}, 180_000);

it("a stop and start keeps snapshots; a snapshot a crash left half-made is undone at the next start", async () => {
  await ok(["volume", "create", "base"]);
  await sh("base", "echo base > /data/f");
  await ok(["volume", "create", "copy", "--from", "base"]);
  await sh("copy", "echo copy > /data/f");
  await ok(["volume", "create", "solo"]);
  await sh("solo", "echo kept > /data/f");
  const data = await mountpoint("solo");
  // stop() also checks that nothing stays mounted under the home (the overlays are unmounted).
  await b.stop({ keepHome: true });

  // What a worker dying between freezing the source and committing the snapshot leaves.
  const vols = path.join(b.home, "volumes");
  const layer = "c".repeat(32);
  const half = path.join(vols, "d".repeat(64));
  fs.mkdirSync(path.join(vols, "layers"), { recursive: true });
  fs.renameSync(data, path.join(vols, "layers", layer));
  fs.mkdirSync(data);
  for (const d of ["_data", "upper", "work"]) fs.mkdirSync(path.join(half, d), { recursive: true });
  fs.mkdirSync(path.join(vols, "pending"), { recursive: true });
  fs.writeFileSync(path.join(vols, "pending", `${"d".repeat(64)}.json`), JSON.stringify({ snapshot: "d".repeat(64), source: path.basename(path.dirname(data)), freeze: { layer, from: data } }));

  b = await startInstance({ home: b.home });
  expect(await sh("solo", "cat /data/f")).toBe("kept\n");
  // The start mounted the copy-on-write pair again, each with its own data.
  expect(await sh("base", "cat /data/f")).toBe("base\n");
  expect(await sh("copy", "cat /data/f")).toBe("copy\n");
  expect(fs.existsSync(half)).toBe(false);
  expect(fs.readdirSync(path.join(vols, "pending"))).toEqual([]);
  expect(layersOnDisk()).toHaveLength(1); // base's frozen data, which copy reads
  expect(b.logs()).toMatch(/undid a half-made snapshot a previous worker left/);
}, 240_000);
