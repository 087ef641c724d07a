import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInstance, type Instance } from "./harness.js";

// Volumes, binds and tmpfs end to end: CLI → tRPC → the host's queue → worker → native mounts.
let b: Instance;
let hostDir: string;
beforeAll(async () => {
  b = await startInstance();
  hostDir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-vol-host-"));
}, 120_000);
afterAll(async () => {
  if (b) await b.stop();
  if (hostDir) fs.rmSync(hostDir, { recursive: true, force: true });
});

async function ok(args: string[]): Promise<string> {
  const r = await b.berth(args);
  expect(r.stderr, `berth ${args.join(" ")}`).toBe("");
  expect(r.code, `berth ${args.join(" ")}`).toBe(0);
  return r.stdout;
}

async function inspectVolume(name: string) {
  const arr = JSON.parse(await ok(["volume", "inspect", name])) as { Name: string; Driver: string; Mountpoint: string; Labels: Record<string, string>; Scope: string; CreatedAt: string }[];
  expect(arr).toHaveLength(1);
  return arr[0]!;
}

/** A volume's directory: BERTH_HOME/volumes/<id> (by id, not name: two teams may each have one name). */
const volumeDir = async (name: string) => path.dirname((await inspectVolume(name)).Mountpoint);

const containerCount = async () => (await ok(["ps", "-a", "-q"])).split("\n").filter(Boolean).length;

describe("named volumes", () => {
  it("create, ls, inspect with Docker's fields; data under BERTH_HOME/volumes/<id>/_data", async () => {
    expect((await ok(["volume", "create", "--label", "team=web", "vol-a"])).trim()).toBe("vol-a");
    const v = await inspectVolume("vol-a");
    expect(v).toMatchObject({ Name: "vol-a", Driver: "local", Scope: "local", Labels: { team: "web" } });
    expect(v.Mountpoint).toMatch(new RegExp(`^${path.join(b.home, "volumes")}/[0-9a-f]{64}/_data$`));
    expect(fs.statSync(v.Mountpoint).isDirectory()).toBe(true);
    expect(new Date(v.CreatedAt).getTime()).toBeGreaterThan(0);
    expect((await ok(["volume", "ls", "-q"])).split("\n")).toContain("vol-a");
    expect(await ok(["volume", "ls"])).toMatch(/DRIVER\s+VOLUME NAME\nlocal\s+vol-a/);
    // No name: 64 random hex digits.
    const anon = (await ok(["volume", "create"])).trim();
    expect(anon).toMatch(/^[0-9a-f]{64}$/);
    await ok(["volume", "rm", anon]);
  });

  it("data outlives rm and is seen by a second container; two containers share one volume", async () => {
    await ok(["run", "--name", "writer", "-v", "shared:/data", "busybox", "sh", "-c", "echo kept > /data/f"]);
    await ok(["rm", "writer"]);
    expect(fs.readFileSync(path.join(await volumeDir("shared"), "_data", "f"), "utf8")).toBe("kept\n");
    expect(await ok(["run", "--rm", "-v", "shared:/data", "busybox", "cat", "/data/f"])).toBe("kept\n");
    // Two running containers see each other's writes.
    const a = (await ok(["run", "-d", "-v", "shared:/s", "busybox", "sh", "-c", "while [ ! -f /s/from-b ]; do sleep 0.1; done; cat /s/from-b"])).trim();
    await ok(["run", "--rm", "-v", "shared:/s", "busybox", "sh", "-c", "echo hello-from-b > /s/from-b"]);
    await ok(["wait", a]);
    expect(await ok(["logs", a])).toBe("hello-from-b\n");
    await ok(["rm", a]);
  });

  it("volume rm refuses a volume in use, with Docker's message; works once unused", async () => {
    const id = (await ok(["create", "-v", "busy:/x", "busybox", "true"])).trim();
    const r = await b.berth(["volume", "rm", "busy"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`remove busy: volume is in use - [${id}]`);
    expect(await inspectVolume("busy")).toMatchObject({ Name: "busy" });
    const dir = await volumeDir("busy");
    await ok(["rm", id]);
    expect((await ok(["volume", "rm", "busy"])).trim()).toBe("busy");
    expect(fs.existsSync(dir)).toBe(false);
    const gone = await b.berth(["volume", "inspect", "busy"]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("No such volume: busy");
  });

  it("an empty named volume is first filled with the image's content at its path (copy-up)", async () => {
    const want = await ok(["run", "--rm", "busybox", "ls", "/bin/busybox"]);
    expect(await ok(["run", "--rm", "-v", "seeded:/bin", "busybox", "ls", "/bin/busybox"])).toBe(want);
    expect(fs.existsSync(path.join(await volumeDir("seeded"), "_data", "busybox"))).toBe(true);
    // nocopy: stays empty.
    expect(await ok(["run", "--rm", "--mount", "type=volume,source=unseeded,target=/mnt,volume-nocopy", "busybox", "ls", "-A", "/mnt"])).toBe("");
  });
});

describe("binds, tmpfs and --mount", () => {
  it("-v host:ctr:ro refuses writes (EROFS) and shows host changes", async () => {
    fs.writeFileSync(path.join(hostDir, "a"), "one\n");
    const id = (await ok(["run", "-d", "-v", `${hostDir}:/h:ro`, "busybox", "sh", "-c", "while [ ! -f /h/stop ]; do sleep 0.1; done; cat /h/a; touch /h/new 2>&1; echo rc=$?"])).trim();
    fs.writeFileSync(path.join(hostDir, "a"), "two\n");
    fs.writeFileSync(path.join(hostDir, "stop"), "");
    await ok(["wait", id]);
    const out = await ok(["logs", id]);
    expect(out).toContain("two\n");
    expect(out).toMatch(/Read-only file system/);
    expect(out).toContain("rc=1");
    expect(fs.existsSync(path.join(hostDir, "new"))).toBe(false);
    await ok(["rm", id]);
  });

  it("-v makes a missing host directory; --mount refuses a missing bind source, leaving no container", async () => {
    const made = path.join(hostDir, "made", "by-v");
    await ok(["run", "--rm", "-v", `${made}:/m`, "busybox", "sh", "-c", "echo x > /m/f"]);
    expect(fs.readFileSync(path.join(made, "f"), "utf8")).toBe("x\n");
    const before = await containerCount();
    const r = await b.berth(["run", "--mount", `type=bind,source=${hostDir}/nope,target=/x`, "busybox", "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain(`bind source path does not exist: ${hostDir}/nope`);
    expect(await containerCount()).toBe(before);
    expect(fs.existsSync(path.join(hostDir, "nope"))).toBe(false);
  });

  it("--tmpfs is an empty tmpfs with the asked size and mode; --mount type=tmpfs and type=bind,readonly", async () => {
    const out = await ok(["run", "--rm", "--tmpfs", "/scratch:size=1m,mode=1770", "busybox", "sh", "-c", "grep ' /scratch ' /proc/mounts; ls -A /scratch; stat -c %a /scratch"]);
    expect(out).toMatch(/^tmpfs \/scratch tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k,mode=1770/m);
    expect(out.trim().split("\n").at(-1)).toBe("1770");
    expect(out.trim().split("\n")).toHaveLength(2); // the mount line and the mode: the tmpfs is empty
    const m = await ok(["run", "--rm", "--mount", "type=tmpfs,target=/t,tmpfs-size=2m", "--mount", `type=bind,src=${hostDir},dst=/b,readonly`, "busybox", "sh", "-c", "grep -E ' /(t|b) ' /proc/mounts | cut -d' ' -f2,4 | cut -d, -f1"]);
    expect(m.split("\n").filter(Boolean).sort()).toEqual(["/b ro", "/t rw"]);
  });

  it("bad specs exit 125 with a message naming the flag and leave no container", async () => {
    const before = await containerCount();
    const cases: [string[], RegExp][] = [
      [["-v", ":/x"], /--volume ":\/x": the source is empty/],
      [["-v", "data:relative"], /--volume "data:relative": the container path "relative" must be absolute/],
      [["--mount", "type=bind,source=/tmp,target=/x,colour=red"], /--mount .*unexpected key "colour"/],
      [["--tmpfs", "/t:size=huge"], /--tmpfs .*invalid size "huge"/],
      [["-v", "./rel:/x"], /If you intended to pass a host directory, use an absolute path/],
      [["-v", "va:/x", "-v", "vb:/x"], /Duplicate mount point: \/x/],
    ];
    for (const [flags, msg] of cases) {
      const r = await b.berth(["run", ...flags, "busybox", "true"]);
      expect(r.code, flags.join(" ")).toBe(125);
      expect(r.stderr, flags.join(" ")).toMatch(msg);
    }
    expect(await containerCount()).toBe(before);
    expect((await ok(["volume", "ls", "-q"])).split("\n")).not.toContain("va");
  });
});

describe("anonymous volumes", () => {
  it("an image's VOLUME gets an anonymous volume, filled from the image, removed by rm -v", async () => {
    const ctx = fs.mkdtempSync(path.join(os.tmpdir(), "berth-vol-ctx-"));
    try {
      fs.writeFileSync(path.join(ctx, "Dockerfile"), "FROM busybox\nRUN mkdir /seed && echo seeded > /seed/x\nVOLUME /seed\n");
      const built = await b.berth(["build", "-t", "volimg:1", ctx], { timeoutMs: 180_000 });
      expect(built.code, built.stderr).toBe(0);
    } finally {
      fs.rmSync(ctx, { recursive: true, force: true });
    }
    expect(await ok(["run", "--name", "vi", "volimg:1", "sh", "-c", "cat /seed/x; grep -c ' /seed ' /proc/mounts"])).toBe("seeded\n1\n");
    const mounts = (JSON.parse(await ok(["inspect", "vi"])) as { Mounts: { Name: string; Destination: string }[] }[])[0]!.Mounts;
    expect(mounts).toHaveLength(1);
    expect(mounts[0]!.Destination).toBe("/seed");
    const dir = await volumeDir(mounts[0]!.Name);
    expect(fs.readFileSync(path.join(dir, "_data/x"), "utf8")).toBe("seeded\n");
    await ok(["rm", "-v", "vi"]);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it("-v /data makes an anonymous volume: kept by rm, removed by rm -v and by run --rm; inspect lists Mounts", async () => {
    const id = (await ok(["create", "-v", "/data", "-v", "named-kept:/n", "--tmpfs", "/tt", "busybox", "true"])).trim();
    const c = (JSON.parse(await ok(["inspect", id])) as { Mounts: Record<string, unknown>[] }[])[0]!;
    const anon = c.Mounts.find((m) => m.Destination === "/data")!;
    expect(anon).toMatchObject({ Type: "volume", Driver: "local", RW: true });
    expect(String(anon.Name)).toMatch(/^[0-9a-f]{64}$/);
    expect(anon.Source).toBe((await inspectVolume(String(anon.Name))).Mountpoint);
    expect(c.Mounts.find((m) => m.Destination === "/n")).toMatchObject({ Type: "volume", Name: "named-kept" });
    expect(c.Mounts.find((m) => m.Destination === "/tt")).toMatchObject({ Type: "tmpfs" });
    expect((c as unknown as { HostConfig: { Binds: string[]; Tmpfs: Record<string, string> } }).HostConfig).toMatchObject({ Binds: expect.arrayContaining(["named-kept:/n"]), Tmpfs: { "/tt": "" } });
    // dangling=false: in use.
    expect((await ok(["volume", "ls", "-q", "--filter", "dangling=false"])).split("\n")).toContain(anon.Name);
    await ok(["rm", "-v", id]);
    expect((await ok(["volume", "ls", "-q"])).split("\n")).not.toContain(anon.Name);
    expect((await ok(["volume", "ls", "-q"])).split("\n")).toContain("named-kept");

    const id2 = (await ok(["create", "-v", "/data", "busybox", "true"])).trim();
    const name2 = (JSON.parse(await ok(["inspect", id2])) as { Mounts: { Name: string }[] }[])[0]!.Mounts[0]!.Name;
    await ok(["rm", id2]);
    expect((await ok(["volume", "ls", "-q", "--filter", "dangling=true"])).split("\n")).toContain(name2);
    // prune: unused anonymous volumes only; -a: named ones too.
    const pruned = await ok(["volume", "prune", "-f"]);
    expect(pruned).toContain(name2);
    expect(pruned).not.toContain("named-kept");
    expect(pruned).toMatch(/Total reclaimed space: /);
    expect((await ok(["volume", "ls", "-q"])).split("\n")).toContain("named-kept");
    expect(await ok(["volume", "prune", "-a", "-f"])).toContain("named-kept");

    // run --rm takes its anonymous volume with it.
    const before = (await ok(["volume", "ls", "-q"])).split("\n").filter(Boolean);
    await ok(["run", "--rm", "-v", "/scratch", "busybox", "sh", "-c", "echo x > /scratch/y"]);
    expect((await ok(["volume", "ls", "-q"])).split("\n").filter(Boolean)).toEqual(before);
  });
});
