import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { AlreadyExists, FailedPrecondition, NotFound, type Logger } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import { mountOverlay, unmount } from "@berth/native";
import { du } from "../images/index.js";
import { mountsOf } from "./options.js";
import { LAYERS_DIR, PENDING_DIR, PendingSnapshot, layerDir, lowerdirsOf, parseLayers, planSnapshot, unreferencedLayers, volumePaths, type Layer } from "./layers.js";

export interface LayeredDeps {
  db: PrismaClient;
  /** $BERTH_HOME/volumes */
  dir: string;
  hostId: string;
  log: Logger;
}

type Row = { id: string; name: string; teamId: string | null; layers: string; mountpoint: string };

/** mountinfo escapes spaces and the like as \ooo. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
const exists = (p: string) => fs.lstat(p).then(() => true, () => false);
const sameOwnerAndMode = async (dir: string, like: { uid: number; gid: number; mode: number }) => {
  await fs.chown(dir, like.uid, like.gid);
  await fs.chmod(dir, like.mode & 0o7777);
};
const isEmptyDir = async (p: string) => (await fs.readdir(p).catch(() => [])).length === 0;

/**
 * The copy-on-write side of the volume store (layers.ts says what, this does it): snapshots,
 * the overlay mounts of layered volumes, and start-up's repair of what a crash left.
 *
 * Every change to layers runs one at a time (`exclusive`), and a container start asks for a
 * volume's directory through the same lock, so it never binds a source being frozen.
 */
export class LayeredVolumes {
  private chain: Promise<unknown> = Promise.resolve();
  /** Volume id → containers starting with it (between finding its directory and running). */
  private readonly starting = new Map<string, number>();

  constructor(private readonly d: LayeredDeps) {}

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Marks a volume as being bound by a container start; the returned function ends that (once). */
  hold(id: string): () => void {
    this.starting.set(id, (this.starting.get(id) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.starting.get(id) ?? 1) - 1;
      if (n > 0) this.starting.set(id, n);
      else this.starting.delete(id);
    };
  }

  paths(id: string) {
    return volumePaths(this.d.dir, id);
  }

  /** An overlay on `_data` has a device of its own; the plain directory shares its parent's. */
  async isMounted(id: string): Promise<boolean> {
    const p = this.paths(id);
    const [a, b] = await Promise.all([fs.stat(p.data).catch(() => undefined), fs.stat(p.root).catch(() => undefined)]);
    return !!a && !!b && a.dev !== b.dev;
  }

  /** Mounts a layered volume's overlay at its `_data` unless it is there already. */
  async ensureMounted(id: string, layers: Layer[]): Promise<void> {
    if (layers.length === 0 || (await this.isMounted(id))) return;
    const p = this.paths(id);
    await Promise.all([p.data, p.upper, p.work].map((x) => fs.mkdir(x, { recursive: true, mode: 0o755 })));
    await mountOverlay(p.data, { lowerdirs: lowerdirsOf(this.d.dir, layers), upperdir: p.upper, workdir: p.work });
  }

  /** Unmounts a layered volume's overlay (lazily if something still holds it). */
  async unmountVolume(id: string): Promise<void> {
    if (!(await this.isMounted(id))) return;
    const data = this.paths(id).data;
    await unmount(data).catch(async (err: unknown) => {
      this.d.log.warn({ err, path: data }, "volume overlay busy: detaching it");
      await unmount(data, { detach: true });
    });
  }

  /** Bytes a volume holds as its own: its upper (or plain directory) and the layers frozen from it. */
  async ownBytes(row: Row): Promise<number> {
    const layers = parseLayers(row.layers);
    if (layers.length === 0) return du(this.paths(row.id).data);
    let n = await du(this.paths(row.id).upper);
    for (const l of layers) if (l.origin === row.id) n += await du(layerDir(this.d.dir, l.id));
    return n;
  }

  /** Bytes of volumes `rows` together: each upper, and each layer any of them reads once. */
  async bytesOf(rows: Row[]): Promise<number> {
    let n = 0;
    const seen = new Set<string>();
    for (const r of rows) {
      const layers = parseLayers(r.layers);
      n += await du(layers.length ? this.paths(r.id).upper : this.paths(r.id).data);
      for (const l of layers) {
        if (seen.has(l.id)) continue;
        seen.add(l.id);
        n += await du(layerDir(this.d.dir, l.id));
      }
    }
    return n;
  }

  /**
   * `volume create NAME --from SRC`: a new volume of the team that starts as SRC's data now,
   * made by renames and mounts only (so 1 GiB takes as long as 1 KiB). SRC must not be mounted
   * by a running container: its writes would go on into what becomes the frozen copy.
   */
  snapshot(teamId: string, srcName: string, name: string, labels: Record<string, string>) {
    return this.exclusive(async () => {
      const db = this.d.db;
      const src = await db.volume.findUnique({ where: { teamId_name: { teamId, name: srcName } } });
      if (!src) throw new NotFound(`No such volume: ${srcName}`);
      if (src.hostId !== this.d.hostId) throw new FailedPrecondition(`volume ${srcName} is on host ${src.hostId}, not this one (${this.d.hostId})`);
      if (await db.volume.findUnique({ where: { teamId_name: { teamId, name } } })) {
        throw new AlreadyExists(`volume ${name} already exists: choose another name for the snapshot, or remove it first (berth volume rm ${name})`);
      }
      const running = await this.runningUsers(teamId, srcName);
      if (running.length) {
        throw new FailedPrecondition(
          `cannot snapshot ${srcName}: running container(s) [${running.join(", ")}] mount it, and their writes would go on into the frozen copy; stop them first (berth stop), then snapshot`,
        );
      }
      if (this.starting.has(src.id)) {
        throw new FailedPrecondition(`cannot snapshot ${srcName}: a container is starting with it mounted right now; stop that container (berth stop), then snapshot`);
      }
      const srcLayers = parseLayers(src.layers);
      const sp = this.paths(src.id);
      await this.ensureMounted(src.id, srcLayers);
      // An overlay's root shows its upper directory's owner and mode: each new upper takes the
      // source's (a database refuses a data directory that is not its user's, 0700).
      const root = await fs.stat(sp.data);
      const plan = planSnapshot({ id: src.id, name: srcName, layers: srcLayers, upperEmpty: srcLayers.length > 0 && (await isEmptyDir(sp.upper)) }, randomBytes(16).toString("hex"));
      const id = randomBytes(32).toString("hex");
      const np = this.paths(id);
      const pending: PendingSnapshot = { snapshot: id, source: src.id, ...(plan.freeze ? { freeze: { layer: plan.freeze.layer.id, from: plan.freeze.from === "data" ? sp.data : sp.upper } } : {}) };
      const journal = await this.writePending(pending);
      try {
        await Promise.all([np.data, np.upper, np.work].map((x) => fs.mkdir(x, { recursive: true, mode: 0o755 })));
        await sameOwnerAndMode(np.upper, root);
        if (pending.freeze) {
          await this.unmountVolume(src.id);
          await fs.mkdir(path.join(this.d.dir, LAYERS_DIR), { recursive: true, mode: 0o700 });
          await fs.rename(pending.freeze.from, layerDir(this.d.dir, pending.freeze.layer));
          await Promise.all([sp.data, sp.upper, sp.work].map((x) => fs.mkdir(x, { recursive: true, mode: 0o755 })));
          await sameOwnerAndMode(sp.upper, root);
        }
        await db.$transaction([
          db.volume.update({ where: { id: src.id }, data: { layers: JSON.stringify(plan.source) } }),
          db.volume.create({ data: { id, name, hostId: this.d.hostId, labels: JSON.stringify(labels), anonymous: false, mountpoint: np.data, teamId, layers: JSON.stringify(plan.snapshot), sourceId: src.id } }),
        ]);
      } catch (err) {
        await this.undo(pending).catch((e: unknown) => this.d.log.error({ err: e, pending }, "undoing a failed snapshot failed: the next start-up tries again"));
        await this.ensureMounted(src.id, srcLayers).catch(() => undefined);
        throw err;
      }
      await fs.rm(journal, { force: true });
      this.d.log.info({ volume: name, id, source: srcName, team: teamId, layers: plan.snapshot.length, froze: !!plan.freeze }, "volume snapshot created");
      await this.ensureMounted(src.id, plan.source);
      await this.ensureMounted(id, plan.snapshot);
      const row = await db.volume.findUniqueOrThrow({ where: { id } });
      return row;
    });
  }

  /** Ids of the team's running containers whose mounts name the volume. */
  private async runningUsers(teamId: string, name: string): Promise<string[]> {
    const rows = await this.d.db.container.findMany({ where: { teamId, state: "running", options: { contains: `"${name}"` } }, select: { id: true, options: true } });
    return rows.filter((r) => mountsOf(r.options).some((m) => m.type === "volume" && m.source === name)).map((r) => r.id.slice(0, 12));
  }

  private async writePending(p: PendingSnapshot): Promise<string> {
    const dir = path.join(this.d.dir, PENDING_DIR);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `${p.snapshot}.json`);
    await fs.writeFile(`${file}.tmp`, JSON.stringify(p));
    await fs.rename(`${file}.tmp`, file);
    return file;
  }

  /** Puts the source's data back where it was and drops the half-made snapshot (its row was never committed). */
  private async undo(p: PendingSnapshot): Promise<void> {
    if (p.freeze) {
      const layer = layerDir(this.d.dir, p.freeze.layer);
      if (await exists(layer)) {
        // Only the empty directory the snapshot made in its place can be there.
        if (await exists(p.freeze.from)) {
          if (!(await isEmptyDir(p.freeze.from))) throw new Error(`cannot put layer ${layer} back at ${p.freeze.from}: something was written there`);
          await fs.rmdir(p.freeze.from);
        }
        await fs.rename(layer, p.freeze.from);
      }
    }
    await fs.rm(this.paths(p.snapshot).root, { recursive: true, force: true });
  }

  /**
   * Start-up, before any container starts: a snapshot a dead worker was making is finished (its
   * rows committed) or undone (not), layers no volume lists are deleted, and every layered
   * volume of this host is mounted. An overlay a dead worker left mounted stays as it is: its
   * old containers may still write through it until reconcile stops them, and a second overlay
   * on the same upper directory would be undefined. (A half-made snapshot's volumes were never
   * mounted: the source is unmounted before its data moves, the snapshot mounted after commit.)
   */
  async recover(): Promise<void> {
    const pendingDir = path.join(this.d.dir, PENDING_DIR);
    for (const f of await fs.readdir(pendingDir).catch(() => [] as string[])) {
      const file = path.join(pendingDir, f);
      if (!f.endsWith(".json")) {
        await fs.rm(file, { force: true });
        continue;
      }
      const parsed = PendingSnapshot.safeParse(JSON.parse(await fs.readFile(file, "utf8").catch(() => "null")));
      if (!parsed.success) {
        this.d.log.error({ file }, "unreadable pending snapshot record: left for an operator");
        continue;
      }
      const committed = await this.d.db.volume.findUnique({ where: { id: parsed.data.snapshot }, select: { id: true } });
      if (!committed) await this.undo(parsed.data);
      await fs.rm(file, { force: true });
      this.d.log.warn({ snapshot: parsed.data.snapshot, committed: !!committed }, committed ? "finished a snapshot a previous worker made" : "undid a half-made snapshot a previous worker left");
    }
    await this.gcLayers();
    const rows = await this.d.db.volume.findMany({ where: { hostId: this.d.hostId, NOT: { layers: "[]" } }, select: { id: true, name: true, layers: true } });
    for (const r of rows) {
      await this.ensureMounted(r.id, parseLayers(r.layers)).catch((err: unknown) => this.d.log.error({ err, volume: r.name, id: r.id }, "could not mount a copy-on-write volume"));
    }
  }

  /** Deletes the layers no volume of this host lists. */
  async gcLayers(): Promise<void> {
    const present = await fs.readdir(path.join(this.d.dir, LAYERS_DIR)).catch(() => [] as string[]);
    if (!present.length) return;
    const rows = await this.d.db.volume.findMany({ where: { hostId: this.d.hostId, NOT: { layers: "[]" } }, select: { layers: true } });
    const pending = await fs.readdir(path.join(this.d.dir, PENDING_DIR)).catch(() => [] as string[]);
    const inProgress: string[] = [];
    for (const f of pending) {
      const p = PendingSnapshot.safeParse(JSON.parse(await fs.readFile(path.join(this.d.dir, PENDING_DIR, f), "utf8").catch(() => "null")));
      if (p.success && p.data.freeze) inProgress.push(p.data.freeze.layer);
    }
    for (const id of unreferencedLayers(present, rows.map((r) => parseLayers(r.layers)), inProgress)) {
      await fs.rm(layerDir(this.d.dir, id), { recursive: true, force: true });
      this.d.log.info({ layer: id }, "frozen volume layer removed: no volume reads it any more");
    }
  }

  /** Every overlay mounted under the volumes directory (shutdown, and start-up after a crash). */
  unmountAll(): Promise<void> {
    return unmountVolumeOverlays(this.d.dir, this.d.log);
  }
}

/** Unmounts (lazily) every volume overlay under `dir`: a worker's shutdown, or the clean-up after one that died. */
export async function unmountVolumeOverlays(dir: string, log: Logger): Promise<void> {
  const prefix = dir.replace(/\/+$/, "") + "/";
  const info = await fs.readFile("/proc/self/mountinfo", "utf8");
  const mounts = info
    .split("\n")
    .map((l) => unescape(l.split(" ")[4] ?? ""))
    .filter((m) => m.startsWith(prefix) && /^[0-9a-f]{64}\/_data$/.test(m.slice(prefix.length)));
  // Stacked mounts of one path (a mount made twice) come off one by one.
  for (const m of mounts) await unmount(m, { detach: true }).catch((err: unknown) => log.error({ err, mount: m }, "could not unmount a volume overlay"));
}

export type { Row as LayeredRow };
