import fs from "node:fs/promises";
import path from "node:path";
import type { ContainerChange } from "@berth/core";
import { opaqueDirs } from "../images/fsops.js";

/** Made by the runtime in every container (Docker keeps them in its init layer, out of `diff`). */
const RUNTIME_PATHS = new Set(["/proc", "/sys", "/dev", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf"]);
const hidden = (p: string) => RUNTIME_PATHS.has(p) || p.startsWith("/dev/");

/** `rel` in one layer, walked without following symlinks (a layer's link must not probe the host); undefined if absent or deleted. */
async function inLayer(layer: string, rel: string): Promise<import("node:fs").Stats | undefined> {
  let cur = layer;
  let st: import("node:fs").Stats | undefined;
  for (const part of rel.split("/")) {
    if (st && !st.isDirectory()) return undefined;
    cur = path.join(cur, part);
    st = await fs.lstat(cur).catch(() => undefined);
    if (!st || (st.isCharacterDevice() && st.rdev === 0)) return undefined;
  }
  return st;
}

async function inLayers(lowerdirs: string[], rel: string): Promise<boolean> {
  for (const layer of lowerdirs) if (await inLayer(layer, rel)) return true;
  return false;
}

/** Names in `rel` across the image layers (for what an opaque directory hides). */
async function layerNames(lowerdirs: string[], rel: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const layer of lowerdirs) {
    if (!(await inLayer(layer, rel))?.isDirectory()) continue;
    for (const n of await fs.readdir(path.join(layer, rel))) out.add(n);
  }
  return out;
}

/**
 * `diff`: the container's changes from its upper dir, as Docker lists them. A deletion mark
 * (0/0 character device) is D; an entry the image has is C, else A (a directory holding changes
 * is itself C); an opaque directory hides everything the image had in it: those are D.
 */
export async function containerChanges(upper: string, lowerdirs: string[]): Promise<ContainerChange[]> {
  const opaque = await opaqueDirs(upper).catch(() => new Set<string>());
  const out: ContainerChange[] = [];
  async function walk(rel: string): Promise<void> {
    const names = (await fs.readdir(path.join(upper, rel)).catch(() => [] as string[])).sort();
    for (const name of names) {
      const childRel = rel ? `${rel}/${name}` : name;
      const abs = `/${childRel}`;
      const st = await fs.lstat(path.join(upper, childRel));
      if (st.isCharacterDevice() && st.rdev === 0) {
        if (!hidden(abs)) out.push({ Path: abs, Kind: 2 });
        continue;
      }
      const existed = await inLayers(lowerdirs, childRel);
      if (!hidden(abs)) out.push({ Path: abs, Kind: existed ? 0 : 1 });
      if (!st.isDirectory()) continue;
      if (opaque.has(childRel) && existed) {
        const mine = new Set(await fs.readdir(path.join(upper, childRel)));
        for (const n of [...(await layerNames(lowerdirs, childRel))].sort()) if (!mine.has(n)) out.push({ Path: `${abs}/${n}`, Kind: 2 });
      }
      await walk(childRel);
    }
  }
  await walk("");
  return out.sort((a, b) => (a.Path < b.Path ? -1 : a.Path > b.Path ? 1 : 0));
}
