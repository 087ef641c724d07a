import fs from "node:fs";
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { useInstance, type RunResult } from "./harness.js";
import { req, sha256, token } from "./registry-helpers.js";

/**
 * Team quotas set by the site admin, through the real CLI: going over one is refused with a
 * message naming the quota, before anything is made (no container row, no process).
 */
const b = useInstance();
let alice: (args: string[], team?: string) => Promise<RunResult>;
let aliceToken = "";

beforeAll(async () => {
  const r = await b.berth(["user", "create", "alice"]);
  expect(r.code, r.stderr).toBe(0);
  aliceToken = r.stdout.trim();
  const token = aliceToken;
  alice = (args, team = "acme") => b.berth(args, { env: { BERTH_TOKEN: token, BERTH_TEAM: team, XDG_CONFIG_HOME: `${b.home}/cfg-alice` } });
  expect((await alice(["team", "create", "acme"], "")).code).toBe(0);
  expect((await alice(["team", "create", "beta"], "")).code).toBe(0);
}, 60_000);

/** Every container of the current team, running or not. */
async function names(team: string): Promise<string[]> {
  const r = await alice(["ps", "-a", "--format", "{{.Names}}"], team);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.split("\n").filter(Boolean).sort();
}

describe("team quotas", () => {
  it("only the site admin sets a quota; members read it", async () => {
    const r = await alice(["team", "quota", "acme", "--containers", "1"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/admin only/);
    const set = await b.berth(["team", "quota", "acme", "--containers", "1"]);
    expect(set.code, set.stderr).toBe(0);
    const show = await alice(["team", "quota", "acme"]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/acme\s+1\s+-\s+-\s+-/);
  });

  it("refuses a second running container over a quota of 1, and creates nothing", async () => {
    const first = await alice(["run", "-d", "--name", "one", "busybox", "sleep", "300"]);
    expect(first.code, first.stderr).toBe(0);
    const second = await alice(["run", "-d", "--name", "two", "busybox", "sleep", "300"]);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/team acme is at its quota of 1 running container/);
    expect(await names("acme")).toEqual(["one"]);
    // Another team is not held by acme's quota.
    const other = await alice(["run", "-d", "--name", "free", "busybox", "sleep", "300"], "beta");
    expect(other.code, other.stderr).toBe(0);
    // A stopped container frees its place; starting it again takes it back.
    expect((await alice(["stop", "-t", "0", "one"])).code).toBe(0);
    const third = await alice(["run", "-d", "--name", "three", "busybox", "sleep", "300"]);
    expect(third.code, third.stderr).toBe(0);
    const restart = await alice(["start", "one"]);
    expect(restart.code).not.toBe(0);
    expect(restart.stderr).toMatch(/quota of 1 running container/);
    for (const [team, name] of [["acme", "one"], ["acme", "three"], ["beta", "free"]] as const) expect((await alice(["rm", "-f", name], team)).code).toBe(0);
  }, 120_000);

  it("refuses a container over the memory quota, and one without -m, and creates nothing", async () => {
    const set = await b.berth(["team", "quota", "acme", "--containers", "none", "--memory", "100m"]);
    expect(set.code, set.stderr).toBe(0);
    const unlimited = await alice(["run", "-d", "--name", "nolimit", "busybox", "sleep", "300"]);
    expect(unlimited.code).not.toBe(0);
    expect(unlimited.stderr).toMatch(/team acme has a memory quota of 100m: give the container a memory limit with -m/);
    const a = await alice(["run", "-d", "--name", "a", "-m", "64m", "busybox", "sleep", "300"]);
    expect(a.code, a.stderr).toBe(0);
    const over = await alice(["run", "-d", "--name", "big", "-m", "64m", "-v", "quota-vol:/data", "busybox", "sleep", "300"]);
    expect(over.code).not.toBe(0);
    expect(over.stderr).toMatch(/team acme would go over its memory quota of 100m: its running containers hold 64m and this one asks for 64m/);
    expect(await names("acme")).toEqual(["a"]);
    // Not even the named volume it asked for was made.
    expect((await alice(["volume", "ls", "-q"])).stdout).not.toContain("quota-vol");
    const fits = await alice(["run", "-d", "--name", "small", "-m", "32m", "busybox", "sleep", "300"]);
    expect(fits.code, fits.stderr).toBe(0);
    for (const name of ["a", "small"]) expect((await alice(["rm", "-f", name])).code).toBe(0);
  }, 120_000);

  it("refuses a container over the CPU quota", async () => {
    const set = await b.berth(["team", "quota", "acme", "--memory", "none", "--cpus", "1"]);
    expect(set.code, set.stderr).toBe(0);
    const over = await alice(["run", "-d", "--name", "hot", "--cpus", "1.5", "busybox", "sleep", "300"]);
    expect(over.code).not.toBe(0);
    expect(over.stderr).toMatch(/team acme would go over its CPU quota of 1/);
    expect(await names("acme")).toEqual([]);
  });

  it("refuses new images to a team at its disk quota", async () => {
    expect((await b.berth(["team", "quota", "acme", "--cpus", "none"])).code).toBe(0);
    expect((await alice(["run", "-d", "--name", "c", "busybox", "sh", "-c", "echo x > /f; sleep 300"])).code).toBe(0);
    const first = await alice(["commit", "c", "acme/snap:1"]);
    expect(first.code, first.stderr).toBe(0);
    const set = await b.berth(["team", "quota", "acme", "--disk", "1k"]);
    expect(set.code, set.stderr).toBe(0);
    const second = await alice(["commit", "c", "acme/snap:2"]);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/team acme is at its disk quota of 1k/);
    const images = await alice(["images"]);
    expect(images.stdout).toMatch(/acme\/snap\s+1\s/);
    expect(images.stdout).not.toMatch(/acme\/snap\s+2\s/);
    expect((await alice(["rm", "-f", "c"])).code).toBe(0);
  }, 120_000);

  it("counts the team's volumes against its disk quota", async () => {
    expect((await alice(["team", "create", "vols"], "")).code).toBe(0);
    // 4 MiB in a volume, nothing in images.
    const fill = await alice(["run", "--rm", "-v", "bulk:/data", "busybox", "dd", "if=/dev/zero", "of=/data/blob", "bs=1048576", "count=4"], "vols");
    expect(fill.code, fill.stderr).toBe(0);
    expect((await b.berth(["team", "quota", "vols", "--disk", "3m"])).code).toBe(0);
    expect((await alice(["run", "-d", "--name", "c", "busybox", "sleep", "300"], "vols")).code).toBe(0);
    const commit = await alice(["commit", "c", "vols/snap:1"], "vols");
    expect(commit.code).not.toBe(0);
    expect(commit.stderr).toMatch(/team vols is at its disk quota of 3m: it holds 4\.0m \(volumes 4\.0m\)/);
    expect((await alice(["images"], "vols")).stdout).not.toContain("vols/snap");
    // A new volume is new disk too, whether made by `volume create` or by `run -v NAME:`; an existing one is still usable.
    const create = await alice(["volume", "create", "more"], "vols");
    expect(create.code).not.toBe(0);
    expect(create.stderr).toMatch(/team vols is at its disk quota of 3m/);
    const implicit = await alice(["run", "--rm", "-v", "fresh:/data", "busybox", "true"], "vols");
    expect(implicit.code).not.toBe(0);
    expect(implicit.stderr).toMatch(/team vols is at its disk quota of 3m/);
    expect((await alice(["volume", "ls", "-q"], "vols")).stdout.split("\n").filter(Boolean)).toEqual(["bulk"]);
    expect((await alice(["run", "--rm", "-v", "bulk:/data", "busybox", "ls", "/data"], "vols")).code).toBe(0);
    // Freeing the volume frees the room.
    expect((await alice(["volume", "rm", "bulk"], "vols")).code).toBe(0);
    const again = await alice(["commit", "c", "vols/snap:1"], "vols");
    expect(again.code, again.stderr).toBe(0);
    expect((await alice(["rm", "-f", "c"], "vols")).code).toBe(0);
  }, 120_000);

  it("counts registry pushes: a blob over the disk quota is DENIED naming the quota, and its upload is gone", async () => {
    expect((await alice(["team", "create", "pushers"], "")).code).toBe(0);
    expect((await b.berth(["team", "quota", "pushers", "--disk", "64k"])).code).toBe(0);
    const t = (await token(b.url, ["repository:pushers/app:pull,push"], { user: "alice", pass: aliceToken })).token;
    const blob = (n: number) => randomBytes(n);
    const uploads = () => fs.readdirSync(`${b.home}/content/uploads`).filter((f) => !f.startsWith("."));
    // 40k fits.
    const first = blob(40 * 1024);
    const ok = await req(b.url, "POST", `/v2/pushers/app/blobs/uploads/?digest=${sha256(first)}`, { token: t, body: first, headers: { "content-type": "application/octet-stream" } });
    expect(ok.status, ok.body.toString()).toBe(201);
    // Another 40k in one go does not: refused, and not stored.
    const second = blob(40 * 1024);
    const mono = await req(b.url, "POST", `/v2/pushers/app/blobs/uploads/?digest=${sha256(second)}`, { token: t, body: second, headers: { "content-type": "application/octet-stream" } });
    expect([mono.status, mono.code]).toEqual([403, "DENIED"]);
    expect(mono.body.toString()).toMatch(/team pushers is at its disk quota of 64k/);
    expect((await req(b.url, "HEAD", `/v2/pushers/app/blobs/${sha256(second)}`, { token: t })).status).toBe(404);
    // Chunked: the first 16k chunk fits, the next 16k does not; the whole upload goes, half and all.
    const start = await req(b.url, "POST", "/v2/pushers/app/blobs/uploads/", { token: t });
    expect(start.status).toBe(202);
    const loc = start.headers.get("location")!;
    const c1 = await req(b.url, "PATCH", loc, { token: t, body: second.subarray(0, 16 * 1024), headers: { "content-type": "application/octet-stream", "content-range": `0-${16 * 1024 - 1}` } });
    expect(c1.status, c1.body.toString()).toBe(202);
    const c2 = await req(b.url, "PATCH", loc, { token: t, body: second.subarray(16 * 1024, 32 * 1024), headers: { "content-type": "application/octet-stream", "content-range": `${16 * 1024}-${32 * 1024 - 1}` } });
    expect([c2.status, c2.code]).toEqual([403, "DENIED"]);
    expect(c2.body.toString()).toMatch(/push to pushers\/app refused: team pushers is at its disk quota of 64k/);
    expect((await req(b.url, "GET", loc, { token: t })).code).toBe("BLOB_UPLOAD_UNKNOWN");
    expect(uploads()).toEqual([]);
    // At the quota, a new upload is refused before it starts.
    const big = blob(30 * 1024);
    expect((await req(b.url, "POST", `/v2/pushers/app/blobs/uploads/?digest=${sha256(big)}`, { token: t, body: big })).code).toBe("DENIED");
    // Local images count what the registry holds too.
    expect((await b.berth(["team", "quota", "pushers", "--disk", "40k"])).code).toBe(0);
    expect((await alice(["run", "-d", "--name", "p", "busybox", "sleep", "300"], "pushers")).code).toBe(0);
    const commit = await alice(["commit", "p", "pushers/x:1"], "pushers");
    expect(commit.stderr).toMatch(/team pushers is at its disk quota of 40k: it holds 40\.0k \(registry 40\.0k\)/);
    expect((await alice(["rm", "-f", "p"], "pushers")).code).toBe(0);
  }, 120_000);

  it("refuses a bad quota value with what to type instead", async () => {
    const r = await b.berth(["team", "quota", "acme", "--memory", "lots"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/invalid --memory "lots"/);
  });
});
