/**
 * Interop with real peers: Docker Engine 20.10 (Debian's docker.io) loads what Berth saves and
 * runs it, Berth loads what Docker saves (whiteouts included) and runs it, skopeo reads
 * Berth's OCI archives, and an exported container imports on both sides.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chainIds, digestHex } from "@berth/core";
import { getXattr, setXattr } from "@berth/native";
import { docker as dockerCmd, ensureDockerd } from "./docker.js";
import { hostBusybox, run, startInstance, type Instance } from "./harness.js";

const docker = (args: string[], timeoutMs = 120_000) => dockerCmd(args, { timeoutMs });

const tag = `t${process.pid}`;
const dockerImages: string[] = [];
const dockerContainers: string[] = [];
let b: Instance;
let work: string;

beforeAll(async () => {
  await ensureDockerd();
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-images-docker-"));
  b = await startInstance();
}, 180_000);

afterAll(async () => {
  for (const c of dockerContainers) await docker(["rm", "-f", c]);
  for (const i of dockerImages) await docker(["rmi", "-f", i]);
  if (work) fs.rmSync(work, { recursive: true, force: true });
  await b?.stop();
});

async function berth(args: string[]) {
  const r = await b.berth(args, { timeoutMs: 180_000 });
  expect(r.code, `berth ${args.join(" ")}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

/** A small root filesystem with the host's static busybox, as a tar. */
async function rootfsTar(): Promise<string> {
  const root = path.join(work, "rootfs");
  for (const d of ["bin", "etc", "data", "tmp"]) fs.mkdirSync(path.join(root, d), { recursive: true });
  const busybox = hostBusybox();
  fs.copyFileSync(busybox, path.join(root, "bin/busybox"));
  fs.chmodSync(path.join(root, "bin/busybox"), 0o755);
  for (const a of ["sh", "ls", "cat", "echo", "rm", "mkdir", "test"]) fs.symlinkSync("busybox", path.join(root, "bin", a));
  fs.writeFileSync(path.join(root, "etc/deleteme"), "doomed\n");
  fs.writeFileSync(path.join(root, "etc/keep"), "kept\n");
  fs.writeFileSync(path.join(root, "data/old"), "old\n");
  const tar = path.join(work, "rootfs.tar");
  const t = await run("tar", ["-C", root, "-cf", tar, "."]);
  expect(t.code, t.stderr).toBe(0);
  return tar;
}

describe("berth save → docker load → docker run", () => {
  it("docker-archive", async () => {
    const ref = `berthtest/bb:${tag}`;
    await berth(["tag", "busybox", ref]);
    const out = path.join(work, "bb.tar");
    await berth(["save", ref, "-o", out]);
    dockerImages.push(ref);
    const load = await docker(["load", "-i", out]);
    expect(load.stdout + load.stderr).toContain(`Loaded image: ${ref}`);
    const r = await docker(["run", "--rm", "--network", "none", ref, "echo", "hi"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("hi\n");
    // Same config bytes, so Docker computes the same image id.
    const id = JSON.parse((await berth(["image", "inspect", ref])).stdout)[0].Id;
    expect((await docker(["image", "inspect", "-f", "{{.Id}}", ref])).stdout.trim()).toBe(id);
  });

  it("OCI layout: skopeo reads it, docker loads it, berth loads it back", async () => {
    const ref = `berthtest/oci:${tag}`;
    await berth(["tag", "busybox", ref]);
    const out = path.join(work, "oci.tar");
    await berth(["save", "--format", "oci", ref, "-o", out]);
    const inspect = JSON.parse((await berth(["image", "inspect", ref])).stdout)[0];
    const sk = await run("skopeo", ["inspect", `oci-archive:${out}`], { timeoutMs: 60_000 });
    expect(sk.code, sk.stderr).toBe(0);
    const info = JSON.parse(sk.stdout);
    expect(info.Digest).toBe(inspect.ManifestDigest);
    expect(info.Layers).toHaveLength(1);
    expect(info.Os).toBe("linux");

    dockerImages.push(ref);
    expect((await docker(["load", "-i", out])).code).toBe(0);
    expect((await docker(["run", "--rm", "--network", "none", ref, "echo", "oci"])).stdout).toBe("oci\n");

    await berth(["rmi", ref]);
    expect((await berth(["load", "-i", out])).stdout).toBe(`Loaded image: ${ref}\n`);
    expect((await berth(["run", "--rm", ref, "echo", "back"])).stdout).toBe("back\n");
  });
});

describe("docker save → berth load → berth run", () => {
  it("honours the whiteouts of a docker commit that deleted a file and replaced a directory", async () => {
    const tar = await rootfsTar();
    const base = `berthtest/base:${tag}`;
    const ref = `berthtest/wh:${tag}`;
    dockerImages.push(ref, base);
    expect((await docker(["import", tar, base])).code).toBe(0);
    const name = `berthtest-wh-${tag}`;
    dockerContainers.push(name);
    const c = await docker(["run", "--name", name, "--network", "none", base, "/bin/sh", "-c", "rm /etc/deleteme && rm -rf /data && mkdir /data && echo new > /data/new"]);
    expect(c.code, c.stderr).toBe(0);
    expect((await docker(["commit", name, ref])).code).toBe(0);
    const saved = path.join(work, "wh.tar");
    expect((await docker(["save", ref, "-o", saved])).code).toBe(0);

    // The archive really carries whiteouts: a deleted file and an opaque directory.
    const layerList = await run("sh", ["-c", `for l in $(tar -tf ${saved} | grep layer.tar); do tar -xOf ${saved} $l | tar -t; done`]);
    expect(layerList.stdout).toContain("etc/.wh.deleteme");
    expect(layerList.stdout).toContain("data/.wh..wh..opq");

    expect((await berth(["load", "-i", saved])).stdout).toBe(`Loaded image: ${ref}\n`);
    // /etc/hostname, hosts and resolv.conf are mounted into every container, as Docker does.
    const r = await berth(["run", "--rm", ref, "sh", "-c", "ls /etc | grep -vx -e hostname -e hosts -e resolv.conf; ls /data; cat /data/new; test -e /etc/deleteme || echo deleteme-gone; test -e /data/old || echo old-gone"]);
    expect(r.stdout).toBe("keep\nnew\nnew\ndeleteme-gone\nold-gone\n");
    // Docker's image id is the config digest, and Berth keeps the config byte for byte.
    const id = (await docker(["image", "inspect", "-f", "{{.Id}}", ref])).stdout.trim();
    expect(JSON.parse((await berth(["image", "inspect", ref])).stdout)[0].Id).toBe(id);
  });

  it("keeps the extended attributes Docker's layers carry (a file capability, user.*)", async () => {
    const root = path.join(work, "xattr-root");
    fs.mkdirSync(path.join(root, "bin"), { recursive: true });
    fs.writeFileSync(path.join(root, "bin/tool"), "#!/bin/sh\n", { mode: 0o755 });
    const cap = Buffer.from("0100000200040000000000000000000000000000", "hex"); // cap_net_bind_service+ep
    setXattr(path.join(root, "bin/tool"), "security.capability", cap);
    setXattr(path.join(root, "bin/tool"), "user.origin", "docker");
    // GNU tar writes them as PAX SCHILY.xattr records, as Docker's own archives do.
    const tarFile = path.join(work, "xattr.tar");
    const t = await run("tar", ["--xattrs", "--xattrs-include=*", "-C", root, "-cf", tarFile, "."]);
    expect(t.code, t.stderr).toBe(0);
    const ref = `berthtest/xattr:${tag}`;
    dockerImages.push(ref);
    expect((await docker(["import", tarFile, ref])).code).toBe(0);
    const saved = path.join(work, "xattr-saved.tar");
    expect((await docker(["save", ref, "-o", saved])).code).toBe(0);

    expect((await berth(["load", "-i", saved])).stdout).toBe(`Loaded image: ${ref}\n`);
    // Starting a container unpacks the layer (the image has no shell: the start itself fails,
    // 127 or 126, after the unpack); its snapshot then holds the file with its attributes.
    const started = await b.berth(["run", "--rm", ref, "/bin/tool"], { timeoutMs: 120_000 });
    expect([126, 127], started.stderr).toContain(started.code);
    const layers = JSON.parse((await berth(["image", "inspect", ref])).stdout)[0].RootFS.Layers as string[];
    const snap = path.join(b.home, "snapshots", digestHex(chainIds(layers).at(-1)!), "fs");
    expect(getXattr(path.join(snap, "bin/tool"), "security.capability").equals(cap)).toBe(true);
    expect(getXattr(path.join(snap, "bin/tool"), "user.origin").toString()).toBe("docker");
  });
});

describe("export and import", () => {
  it("exports a container's merged root, which imports into Berth and Docker", async () => {
    await berth(["run", "--name", `exp-${tag}`, "busybox", "sh", "-c", "echo data > /hello && rm /bin/vi && mkdir -p /srv/app && echo app > /srv/app/x"]);
    const out = path.join(work, "exp.tar");
    await berth(["export", `exp-${tag}`, "-o", out]);
    const list = (await run("tar", ["-tf", out])).stdout.split("\n");
    expect(list).toContain("hello");
    expect(list).toContain("srv/app/x");
    expect(list).toContain("bin/sh");
    expect(list).not.toContain("bin/vi");
    expect(list.some((l) => l.includes(".wh."))).toBe(false);

    const ref = `berthtest/imp:${tag}`;
    const imp = await berth(["import", "-c", 'CMD ["sh"]', "-m", "from export", out, ref]);
    expect(imp.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect((await berth(["run", "--rm", ref, "cat", "/hello", "/srv/app/x"])).stdout).toBe("data\napp\n");
    const hist = await berth(["history", ref]);
    expect(hist.stdout).toMatch(/berth import\s+\S+\s+from export/);

    dockerImages.push(ref);
    expect((await docker(["import", out, ref])).code).toBe(0);
    expect((await docker(["run", "--rm", "--network", "none", ref, "cat", "/hello"])).stdout).toBe("data\n");
  });
});
