/**
 * Image management through the real CLI against a real Berth: tag, inspect, history, rmi
 * (refusing an image a container uses), prune and system df, and load refusing hostile
 * archives without leaving anything behind.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Header } from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startInstance, type Instance } from "./harness.js";

let b: Instance;
let work: string;
beforeAll(async () => {
  b = await startInstance();
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-images-cli-"));
});
afterAll(async () => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
  await b?.stop();
});

const ok = async (args: string[]) => {
  const r = await b.berth(args, { timeoutMs: 120_000 });
  expect(r.code, `berth ${args.join(" ")}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
};
const blobs = () => fs.readdirSync(path.join(b.home, "content/blobs/sha256")).sort();
const sha = (buf: Buffer | string) => `sha256:${createHash("sha256").update(buf).digest("hex")}`;

function tar(entries: { path: string; body?: string | Buffer; type?: "File" | "SymbolicLink"; linkpath?: string }[]): Buffer {
  const out: Buffer[] = [];
  for (const e of entries) {
    const body = typeof e.body === "string" ? Buffer.from(e.body) : (e.body ?? Buffer.alloc(0));
    const block = Buffer.alloc(512);
    new Header({ path: e.path, type: e.type ?? "File", size: body.length, mode: 0o644, mtime: new Date(0), linkpath: e.linkpath ?? "" }).encode(block, 0);
    out.push(block, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}

/** A docker-archive made by hand, so it can carry what no honest tool writes. */
function archive(layers: Buffer[], tags: string[]): string {
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: { Cmd: ["sh"] }, rootfs: { type: "layers", diff_ids: layers.map(sha) } }));
  const file = path.join(work, `${Math.random().toString(36).slice(2)}.tar`);
  fs.writeFileSync(
    file,
    tar([
      ...layers.map((l, i) => ({ path: `l${i}/layer.tar`, body: l })),
      { path: "config.json", body: config },
      { path: "manifest.json", body: JSON.stringify([{ Config: "config.json", RepoTags: tags, Layers: layers.map((_, i) => `l${i}/layer.tar`) }]) },
    ]),
  );
  return file;
}

describe("tag, inspect, history", () => {
  it("tags an image and shows it in images and inspect", async () => {
    await ok(["tag", "busybox", "team/tools:1.0"]);
    expect((await ok(["images"])).stdout).toMatch(/\nteam\/tools\s+1\.0\s+[0-9a-f]{12}\s/);
    const [img] = JSON.parse((await ok(["image", "inspect", "team/tools:1.0"])).stdout);
    expect(img.Id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(img.RepoTags).toEqual(["busybox:latest", "team/tools:1.0"]);
    expect(img.RepoDigests).toContain(`team/tools@${img.ManifestDigest}`);
    expect(img).toMatchObject({ Architecture: expect.any(String), Os: "linux", RootFS: { Type: "layers" } });
    expect(img.RootFS.Layers).toHaveLength(1);
    expect(img.Config.Cmd).toEqual(["sh"]);
    expect(img.Config.Env[0]).toMatch(/^PATH=/);
    expect(typeof img.Created).toBe("string");
    expect(img.Size).toBeGreaterThan(100_000);
  });

  it("refuses a target with a digest, and an unknown source", async () => {
    const bad = await b.berth(["tag", "busybox", `x@sha256:${"a".repeat(64)}`]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/digest/);
    const missing = await b.berth(["tag", "no-such", "x:1"]);
    expect(missing).toMatchObject({ code: 1, stderr: "berth: No such image: no-such:latest\n" });
  });

  it("inspect prints what exists and fails for what does not", async () => {
    const r = await b.berth(["image", "inspect", "busybox", "nope:1"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toHaveLength(1);
    expect(r.stderr).toContain("No such image: nope:1");
  });

  it("history lists the image's steps", async () => {
    const r = await ok(["history", "busybox"]);
    expect(r.stdout).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT\n[0-9a-f]{12}\s+.*berth: busybox from/);
  });
});

describe("rmi", () => {
  it("untags one of several tags, refuses the last while a container uses the image, -f untags it", async () => {
    await ok(["tag", "busybox", "inuse:1"]);
    await ok(["tag", "busybox", "inuse:2"]);
    // Its own image, so removing it does not take busybox along.
    const id = JSON.parse((await ok(["image", "inspect", "busybox"])).stdout)[0].Id as string;
    expect((await ok(["rmi", "inuse:2"])).stdout).toBe("Untagged: inuse:2\n");

    // A second image, used by a (stopped) container.
    const file = archive([tar([{ path: "bin", type: "SymbolicLink", linkpath: "/nowhere" }])], ["solo:1"]);
    await ok(["load", "-i", file]);
    const c = await b.berth(["run", "--name", "uses-solo", "solo:1", "true"]);
    expect(c.code).not.toBe(0); // no shell in it: it exits, but it exists
    const refused = await b.berth(["rmi", "solo:1"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/conflict: unable to remove repository reference "solo:1" \(must force\) - stopped container [0-9a-f]{12} is using its referenced image/);
    expect((await ok(["images"])).stdout).toMatch(/\nsolo\s+1\s/);
    expect((await ok(["rmi", "-f", "solo:1"])).stdout).toBe("Untagged: solo:1\n");
    // still there, untagged, while the container exists
    expect((await ok(["images"])).stdout).toMatch(/\n<none>\s+<none>\s/);
    expect(id).toMatch(/^sha256:/);
  });

  it("deletes an unused image and reports each result, going on after a failure", async () => {
    const file = archive([tar([{ path: "f", body: "unused" }])], ["gone:1"]);
    await ok(["load", "-i", file]);
    const id = JSON.parse((await ok(["image", "inspect", "gone:1"])).stdout)[0].Id as string;
    const r = await b.berth(["rmi", "no-such:1", "gone:1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("berth: No such image: no-such:1\n");
    expect(r.stdout).toBe(`Untagged: gone:1\nDeleted: ${id}\n`);
  });

  it("`image rm` is the same command (Docker's management form)", async () => {
    const file = archive([tar([{ path: "f", body: "managed" }])], ["managed:1"]);
    await ok(["load", "-i", file]);
    const id = JSON.parse((await ok(["image", "inspect", "managed:1"])).stdout)[0].Id as string;
    const r = await b.berth(["image", "rm", "managed:1"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`Untagged: managed:1\nDeleted: ${id}\n`);
    expect((await b.berth(["image", "inspect", "managed:1"])).code).not.toBe(0);
  });
});

describe("load", () => {
  it("on a terminal prints each layer's progress as pull does (short diff_id: Loading layer, Loaded); piped, only the image", async () => {
    const layers = [tar([{ path: "one", body: "1" }]), tar([{ path: "two", body: "2" }])];
    const file = archive(layers, ["progress:1"]);
    // `script` gives the CLI a real terminal as stdout.
    const cli = `${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(ROOT, "cli/bin/berth.js"))} load -i ${JSON.stringify(file)}`;
    const t = spawnSync("script", ["-qec", cli, "/dev/null"], { env: { ...process.env, BERTH_URL: b.url, BERTH_TOKEN: b.token, BERTH_HOME: b.home }, encoding: "utf8", timeout: 120_000 });
    expect(t.status, t.stdout + t.stderr).toBe(0);
    const ids = layers.map((l) => sha(l).slice(7, 19));
    // (Byte counts, "<id>: Loading 1.5kB/2.0kB", come only for a layer taking over a second.)
    const lines = t.stdout.replace(/\r/g, "").trim().split("\n").filter((l) => !/: Loading \S+\/\S+$/.test(l));
    expect(lines).toEqual([...ids.flatMap((id) => [`${id}: Loading layer`, `${id}: Loaded`]), "Loaded image: progress:1"]);
    // Piped: only the result, as `docker load`; -q: nothing.
    expect((await ok(["load", "-i", archive([tar([{ path: "three", body: "3" }])], ["progress:2"])])).stdout).toBe("Loaded image: progress:2\n");
    expect((await ok(["load", "-q", "-i", archive([tar([{ path: "four", body: "4" }])], ["progress:3"])])).stdout).toBe("");
    expect((await ok(["images"])).stdout).toMatch(/\nprogress\s+3\s/);
  });
});

describe("load refuses hostile archives, leaving nothing behind", () => {
  for (const [what, layers] of [
    ["a layer writing outside its root (tar-slip)", [tar([{ path: "../../../../tmp/berth-pwned", body: "x" }])]],
    ["a layer writing through a symlink of the layer below", [tar([{ path: "etc", type: "SymbolicLink", linkpath: "/etc" }]), tar([{ path: "etc/berth-pwned", body: "x" }])]],
  ] as const) {
    it(what, async () => {
      const before = blobs();
      const imagesBefore = (await ok(["images", "-q"])).stdout;
      const r = await b.berth(["load", "-i", archive([...layers], ["evil:1"])]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/^berth: layer \d of image 1 of the archive .*(contains "\.\."|through the symlink "etc")/);
      expect(blobs()).toEqual(before);
      expect(fs.readdirSync(path.join(b.home, "content/ingest"))).toEqual([]);
      expect(fs.readdirSync(path.join(b.home, "builds")).filter((f) => f.endsWith(".tar"))).toEqual([]);
      expect((await ok(["images", "-q"])).stdout).toBe(imagesBefore);
      expect(fs.existsSync("/tmp/berth-pwned")).toBe(false);
    });
  }

  it("an upload that is not an image archive, in one clear line", async () => {
    const file = path.join(work, "junk.tar");
    fs.writeFileSync(file, "this is not a tar file at all".repeat(100));
    const r = await b.berth(["load", "-i", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^berth: the archive is not a valid tar file/);
  });
});

describe("prune and system df", () => {
  it("removes dangling images and unreferenced blobs only", async () => {
    await ok(["load", "-i", archive([tar([{ path: "dangling", body: "d" }])], [])]);
    const orphan = path.join(b.home, "content/blobs/sha256", "0".repeat(64));
    fs.writeFileSync(orphan, "nobody refers to me");
    const old = new Date(Date.now() - 3600_000);
    fs.utimesSync(orphan, old, old);
    const df = await ok(["system", "df"]);
    expect(df.stdout).toMatch(/^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\nImages\s+\d+\s+\d+\s+\S+\s+\S+/);
    const before = blobs();

    const r = await ok(["image", "prune", "-f"]);
    expect(r.stdout).toMatch(/^Deleted Images:\ndeleted: sha256:[0-9a-f]{64}\n/m);
    expect(r.stdout).toMatch(/Total reclaimed space: \S+B\n$/);
    expect(fs.existsSync(orphan)).toBe(false);
    // busybox and every other image still work
    expect((await ok(["run", "--rm", "busybox", "echo", "still"])).stdout).toBe("still\n");
    expect((await ok(["run", "--rm", "team/tools:1.0", "echo", "here"])).stdout).toBe("here\n");
    // Every blob a remaining image refers to is still there.
    const left = new Set(blobs());
    for (const id of (await ok(["images", "-q"])).stdout.trim().split("\n")) {
      const [img] = JSON.parse((await ok(["image", "inspect", id])).stdout);
      const manifest = JSON.parse(fs.readFileSync(path.join(b.home, "content/blobs/sha256", img.ManifestDigest.slice(7)), "utf8"));
      for (const d of [img.ManifestDigest, manifest.config.digest, ...manifest.layers.map((l: { digest: string }) => l.digest)]) expect(left.has(d.slice(7))).toBe(true);
    }
    expect(left.size).toBeLessThan(before.length);
  });

  it("prune asks first and does nothing without a yes", async () => {
    const r = await b.berth(["image", "prune"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("WARNING! This will remove all dangling images.");
    expect(r.stdout).not.toContain("Total reclaimed space");
  });
});

describe("the streaming routes", () => {
  it("refuse a request without credentials", async () => {
    const res = await fetch(`${b.url}/api/images/save?name=busybox`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { kind: "Unauthenticated" } });
  });

  it("save streams a tar to stdout", async () => {
    const res = await fetch(`${b.url}/api/images/save?name=busybox`, { headers: { authorization: `Bearer ${b.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-tar");
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(Number(res.headers.get("content-length")));
    expect(body.includes(Buffer.from("manifest.json"))).toBe(true);
    expect(fs.readdirSync(path.join(b.home, "builds")).filter((f) => f.endsWith(".tar"))).toEqual([]);
  });

  it("save -o into a missing directory is a clear error (exit 1), and writes nothing", async () => {
    const missing = path.join(work, "no-such-dir");
    const r = await b.berth(["save", "busybox", "-o", path.join(missing, "x.tar")], { timeoutMs: 120_000 });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`berth: invalid output path: directory "${missing}" does not exist`);
    expect(fs.existsSync(missing)).toBe(false);
  });
});
