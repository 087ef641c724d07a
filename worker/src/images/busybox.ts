import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { FailedPrecondition, type Logger } from "@berth/core";
import type { ContentStore } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import { EPOCH, packDirectory } from "./layer.js";
import { commitImage, loadImage } from "./store.js";

const run = promisify(execFile);
export const BUSYBOX_REF = "busybox:latest";
const CANDIDATES = ["/bin/busybox", "/usr/bin/busybox"];

/** True for an ELF executable without a PT_INTERP header, i.e. one that needs no dynamic loader. */
export function isStaticElf(buf: Buffer): boolean {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) return false;
  const is64 = buf[4] === 2;
  const le = buf[5] === 1;
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const phoff = is64 ? Number(le ? buf.readBigUInt64LE(0x20) : buf.readBigUInt64BE(0x20)) : u32(0x1c);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  const PT_INTERP = 3;
  for (let i = 0; i < phnum; i++) {
    const off = phoff + i * phentsize;
    if (off + 4 > buf.length) return false;
    if (u32(off) === PT_INTERP) return false;
  }
  return true;
}

/** The host's busybox, if it is statically linked (a dynamic one would not run inside the image). */
async function findStaticBusybox(): Promise<string> {
  for (const p of CANDIDATES) {
    const buf = await fs.readFile(p).catch(() => undefined);
    if (buf && isStaticElf(buf)) return p;
  }
  throw new FailedPrecondition("no statically linked busybox on this host: install it with `apt-get install busybox-static`");
}

/** Lays out a minimal root: busybox, a link per applet, the usual directories, passwd and group. */
async function stageRoot(dir: string, busybox: string): Promise<void> {
  for (const d of ["bin", "sbin", "usr/bin", "usr/sbin", "dev", "proc", "sys", "etc", "root", "tmp", "var/tmp", "home", "run"]) {
    await fs.mkdir(path.join(dir, d), { recursive: true });
  }
  await fs.chmod(path.join(dir, "tmp"), 0o1777);
  await fs.chmod(path.join(dir, "var/tmp"), 0o1777);
  await fs.chmod(path.join(dir, "root"), 0o700);
  await fs.copyFile(busybox, path.join(dir, "bin/busybox"));
  await fs.chmod(path.join(dir, "bin/busybox"), 0o755);
  const { stdout } = await run(busybox, ["--list-full"]);
  for (const applet of stdout.split("\n").map((s) => s.trim()).filter(Boolean)) {
    if (applet === "bin/busybox") continue;
    const target = path.join(dir, applet);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.symlink("/bin/busybox", target).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "EEXIST") throw e;
    });
  }
  await fs.writeFile(path.join(dir, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
  await fs.writeFile(path.join(dir, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
  await fs.writeFile(path.join(dir, "etc/hostname"), "localhost\n");
}

/**
 * Creates `busybox:latest` from the host's busybox-static as a real OCI image, once. The layer
 * is reproducible (sorted entries, fixed mtimes), so the same busybox gives the same digest.
 */
export async function ensureBusybox(db: PrismaClient, store: ContentStore, log: Logger): Promise<string> {
  const tag = await db.imageTag.findUnique({ where: { ref: BUSYBOX_REF } });
  if (tag) {
    try {
      const img = await loadImage(db, store, tag.imageId);
      const present = await Promise.all(img.manifest.layers.map((l) => store.has(l.digest)));
      if (present.every(Boolean)) return tag.imageId;
    } catch {
      /* blobs gone: make it again */
    }
  }
  const busybox = await findStaticBusybox();
  const stage = await fs.mkdtemp(path.join(os.tmpdir(), "berth-busybox-"));
  try {
    await stageRoot(stage, busybox);
    const layer = await packDirectory(stage, store, { mtime: EPOCH });
    const { id } = await commitImage(db, store, BUSYBOX_REF, [layer], {
      created: EPOCH.toISOString(),
      architecture: goArch(),
      os: "linux",
      config: { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"] },
      history: [{ created: EPOCH.toISOString(), created_by: `berth: busybox from ${busybox}` }],
    });
    log.info({ image: id, layer: layer.descriptor.digest }, "created busybox:latest");
    return id;
  } finally {
    await fs.rm(stage, { recursive: true, force: true });
  }
}

/** OCI uses Go's GOARCH names. */
export function goArch(): string {
  const map: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" };
  return map[process.arch] ?? process.arch;
}
