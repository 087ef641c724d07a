import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { InvalidArgument, normTarget, type ImageConfig, type MountSpec } from "@berth/core";
import type { BindMount, TmpfsMount } from "@berth/native";
import type { VolumeStore } from "./store.js";

const run = promisify(execFile);

/**
 * At container create (Docker does it then too): the image's VOLUMEs become anonymous volumes
 * (unless a mount already covers the path), bind sources are checked (`-v` makes a missing
 * directory, `--mount` refuses it), then named volumes are made if missing and anonymous ones
 * get their random names. Binds are checked first, so a refused spec leaves no volume behind.
 */
export async function prepareMounts(store: VolumeStore, image: ImageConfig, mounts: MountSpec[], teamId: string): Promise<MountSpec[]> {
  const out = mounts.map((m) => ({ ...m }));
  const taken = new Set(out.map((m) => normTarget(m.target)));
  const imageVolumes = (image.config as { Volumes?: Record<string, unknown> } | undefined)?.Volumes ?? {};
  for (const v of Object.keys(imageVolumes)) {
    const target = normTarget(v);
    if (!target.startsWith("/") || target === "/" || taken.has(target) || target.split("/").includes("..")) continue;
    out.push({ type: "volume", target, readOnly: false, noCopy: false, anonymous: true });
    taken.add(target);
  }
  for (const m of out) {
    if (m.type !== "bind") continue;
    const st = await fs.stat(m.source).catch(() => undefined);
    if (st) continue;
    if (!m.createSource) throw new InvalidArgument(`invalid mount config for type "bind": bind source path does not exist: ${m.source}`);
    await fs.mkdir(m.source, { recursive: true, mode: 0o755 });
  }
  for (const m of out) {
    if (m.type !== "volume") continue;
    const v = await store.create(m.source, {}, m.anonymous, teamId);
    m.source = v.Name;
  }
  return out;
}

/** Parents before children: `/data` is mounted before `/data/logs`. */
const depth = (p: string) => normTarget(p).split("/").length;

/**
 * What the native runtime mounts for a container's `mounts`, at each start: a volume is the
 * container's team's of that name (made again if it went missing). An empty volume is first
 * filled with what the image has at that path (Docker's copy-up), unless `nocopy`. Each volume
 * is held for the start (a snapshot refuses it) until the caller runs the releases put in `holds`.
 */
export async function runtimeMounts(store: VolumeStore, teamId: string, mounts: MountSpec[], lowerdirs: string[], holds: (() => void)[] = []): Promise<{ binds?: BindMount[]; tmpfs?: TmpfsMount[] }> {
  if (mounts.length === 0) return {};
  const binds: BindMount[] = [];
  const tmpfs: TmpfsMount[] = [];
  for (const m of [...mounts].sort((a, b) => depth(a.target) - depth(b.target))) {
    if (m.type === "bind") binds.push({ source: m.source, destination: m.target, readonly: m.readOnly });
    else if (m.type === "volume") {
      if (!m.source) throw new InvalidArgument(`the volume at ${m.target} has no name: re-create the container`);
      let held = await store.holdDataDir(teamId, m.source);
      if (!held) {
        await store.create(m.source, {}, m.anonymous, teamId);
        held = await store.holdDataDir(teamId, m.source);
        if (!held) throw new Error(`volume ${m.source} went away while its container started`);
      }
      holds.push(held.release);
      const data = held.path;
      await fs.mkdir(data, { recursive: true });
      if (!m.noCopy && (await fs.readdir(data)).length === 0) await copyUp(lowerdirs, m.target, data);
      binds.push({ source: data, destination: m.target, readonly: m.readOnly });
    } else {
      tmpfs.push({ destination: m.target, readonly: m.readOnly, exec: m.exec, ...(m.size !== undefined ? { size: m.size } : {}), ...(m.mode !== undefined ? { mode: m.mode } : {}) });
    }
  }
  return { ...(binds.length ? { binds } : {}), ...(tmpfs.length ? { tmpfs } : {}) };
}

/**
 * The image's content at `target` into an empty volume: each layer's directory there, bottom
 * layer first (`cp -a` keeps owners, modes, links), then overlay's deletion marks (0/0 character
 * devices) from upper layers are removed. A layer reaching `target` through a symlink is skipped:
 * its link must not lead the copy out of the layer.
 */
export async function copyUp(lowerdirs: string[], target: string, data: string): Promise<void> {
  const rel = normTarget(target).slice(1);
  let copied = false;
  for (const layer of [...lowerdirs].reverse()) {
    const src = await dirInLayer(layer, rel);
    if (!src) continue;
    await run("cp", ["-a", "--remove-destination", `${src}/.`, `${data}/`]);
    copied = true;
  }
  if (copied) await removeWhiteouts(data);
}

async function dirInLayer(layer: string, rel: string): Promise<string | undefined> {
  let cur = layer;
  for (const part of rel.split("/")) {
    cur = path.join(cur, part);
    const st = await fs.lstat(cur).catch(() => undefined);
    if (!st || st.isSymbolicLink()) return undefined;
  }
  const st = await fs.lstat(cur);
  return st.isDirectory() ? cur : undefined;
}

async function removeWhiteouts(dir: string): Promise<void> {
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isCharacterDevice() && (await fs.lstat(p)).rdev === 0) await fs.rm(p, { force: true });
    else if (e.isDirectory()) await removeWhiteouts(p);
  }
}
