import { randomUUID } from "node:crypto";
import { createReadStream, type Stats } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { opaqueDirs } from "./fsops.js";
import { TarFileWriter } from "./tar-writer.js";

interface Layer {
  root: string;
  opaque: Set<string>;
}

const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;
const major = (rdev: number) => (rdev >> 8) & 0xfff;
const minor = (rdev: number) => (rdev & 0xff) | ((rdev >> 12) & 0xfff00);

/**
 * Writes the merged view of overlay layers (topmost first: a container's upper dir, then its
 * image's snapshots) as a plain tar, the way overlayfs would show it — whiteouts hide lower
 * names, opaque directories hide lower content — without mounting anything on the host.
 * Returns the archive's size. The result has no whiteouts: it is a flat root filesystem,
 * what `docker export` writes.
 */
export async function exportMerged(layerRoots: string[], out: string): Promise<number> {
  const layers: Layer[] = [];
  for (const root of layerRoots) {
    const exists = await fs.stat(root).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (exists) layers.push({ root, opaque: await opaqueDirs(root) });
  }
  const tmp = `${out}.tmp-${randomUUID()}`;
  const w = await TarFileWriter.create(tmp);
  try {
    await walk(w, "", layers, new Map());
    const size = await w.finish();
    await fs.rename(tmp, out);
    return size;
  } catch (e) {
    await w.abort();
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

async function walk(w: TarFileWriter, rel: string, layers: Layer[], links: Map<string, string>): Promise<void> {
  // name → index of the topmost layer that has it
  const top = new Map<string, number>();
  for (const [i, l] of layers.entries()) {
    const names = await fs.readdir(path.join(l.root, rel)).catch(() => [] as string[]);
    for (const n of names) if (!top.has(n)) top.set(n, i);
  }
  for (const name of [...top.keys()].sort()) {
    const i = top.get(name)!;
    const childRel = rel ? `${rel}/${name}` : name;
    const abs = path.join(layers[i]!.root, childRel);
    const st = await fs.lstat(abs);
    if (isWhiteout(st)) continue;
    const meta = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    if (st.isDirectory()) {
      await w.addDirectory(childRel, meta);
      // Lower layers contribute while they have a directory here and nothing above hid them.
      const below: Layer[] = [layers[i]!];
      if (!layers[i]!.opaque.has(childRel)) {
        for (const l of layers.slice(i + 1)) {
          const s = await fs.lstat(path.join(l.root, childRel)).catch(() => undefined);
          if (!s || !s.isDirectory()) {
            if (s) break; // a file or whiteout hides everything below it
            continue;
          }
          below.push(l);
          if (l.opaque.has(childRel)) break;
        }
      }
      await walk(w, childRel, below, links);
      continue;
    }
    if (st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = links.get(key);
      if (first) {
        await w.addLink(childRel, "Link", first, meta);
        continue;
      }
      links.set(key, childRel);
    }
    if (st.isFile()) await w.addStream(childRel, createReadStream(abs, { highWaterMark: 1 << 20 }), { ...meta, expectedSize: st.size });
    else if (st.isSymbolicLink()) await w.addLink(childRel, "SymbolicLink", await fs.readlink(abs), meta);
    else if (st.isFIFO()) await w.addSpecial(childRel, "FIFO", meta);
    else if (st.isCharacterDevice()) await w.addSpecial(childRel, "CharacterDevice", { ...meta, devmaj: major(st.rdev), devmin: minor(st.rdev) });
    else if (st.isBlockDevice()) await w.addSpecial(childRel, "BlockDevice", { ...meta, devmaj: major(st.rdev), devmin: minor(st.rdev) });
    // sockets: not archivable, as in tar
  }
}
