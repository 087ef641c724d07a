import path from "node:path";
import { z } from "zod";
import { FailedPrecondition } from "@berth/core";

/**
 * Copy-on-write volumes, as data: where a volume's pieces live on disk, which frozen layers
 * it reads, and what a snapshot changes. No I/O here (snapshot.ts applies it).
 *
 * A plain volume is a directory, `<dir>/<id>/_data`. The first snapshot of it freezes that
 * directory (a rename, so its size does not matter) into `<dir>/layers/<layer>`, a read-only
 * layer both volumes then read through overlayfs: each gets its own `upper` (its writes) and
 * `work`, merged at its `_data`, so containers bind `_data` as before. A layer lives while any
 * volume lists it: removing the source keeps the frozen data for its snapshots.
 */

export const LAYERS_DIR = "layers";
export const PENDING_DIR = "pending";

/**
 * Frozen layers one volume may stack. Each snapshot of a volume that was written to since the
 * last one adds a layer; overlayfs' own limit is far higher (500), but every layer is one more
 * lookup on each path a container opens.
 */
export const MAX_LAYERS = 16;

const LayerId = z.string().regex(/^[0-9a-f]{32}$/);
const VolumeId = z.string().regex(/^[0-9a-f]{64}$/);

/** One frozen layer a volume reads; `origin` is the volume whose data it was (its size is that volume's). */
export const Layer = z.object({ id: LayerId, origin: VolumeId });
export type Layer = z.infer<typeof Layer>;

/** Volume.layers: topmost first; [] for a plain directory. A corrupt value is an error, never "plain". */
export function parseLayers(json: string): Layer[] {
  const r = z.array(Layer).max(MAX_LAYERS).safeParse(JSON.parse(json));
  if (!r.success) throw new Error(`a volume's layer list is not valid: ${json.slice(0, 200)} (${r.error.issues[0]?.message})`);
  return r.data;
}

export interface VolumePaths {
  /** `<dir>/<id>`: removed as a whole. */
  root: string;
  /** What containers bind: the directory itself (plain) or the overlay's mount point (layered). */
  data: string;
  /** The volume's own writes over its layers. */
  upper: string;
  work: string;
}

export function volumePaths(dir: string, id: string): VolumePaths {
  const root = path.join(dir, id);
  return { root, data: path.join(root, "_data"), upper: path.join(root, "upper"), work: path.join(root, "work") };
}

export const layerDir = (dir: string, layerId: string) => path.join(dir, LAYERS_DIR, layerId);

/** lowerdirs for a layered volume's overlay, topmost first. */
export const lowerdirsOf = (dir: string, layers: Layer[]) => layers.map((l) => layerDir(dir, l.id));

/** What a snapshot does: freeze the source's writable data into a new layer (or not), and the layers each volume reads after. */
export interface SnapshotPlan {
  /** A new layer made from the source's `_data` (plain) or `upper` (layered); absent: the source's layers are already its whole data. */
  freeze?: { layer: Layer; from: "data" | "upper" };
  source: Layer[];
  snapshot: Layer[];
}

/**
 * The plan for snapshotting `src`: a plain volume's directory becomes the first layer; a
 * layered one freezes its upper on top of its layers, unless nothing was written since its last
 * freeze (then both share its layers as they are, and the chain does not grow).
 */
export function planSnapshot(src: { id: string; name: string; layers: Layer[]; upperEmpty: boolean }, newLayerId: string): SnapshotPlan {
  if (src.layers.length === 0) {
    const layer = { id: newLayerId, origin: src.id };
    return { freeze: { layer, from: "data" }, source: [layer], snapshot: [layer] };
  }
  if (src.upperEmpty) return { source: src.layers, snapshot: src.layers };
  if (src.layers.length >= MAX_LAYERS) {
    throw new FailedPrecondition(
      `cannot snapshot ${src.name}: it already stacks ${src.layers.length} frozen layers (the limit is ${MAX_LAYERS}, one per snapshot taken after writes); snapshot a volume nearer the original, or copy the data into a new volume`,
    );
  }
  const layer = { id: newLayerId, origin: src.id };
  return { freeze: { layer, from: "upper" }, source: [layer, ...src.layers], snapshot: [layer, ...src.layers] };
}

/** Layer directories no volume lists any more (nor a snapshot in progress): safe to delete. */
export function unreferencedLayers(present: string[], lists: Iterable<Layer[]>, inProgress: Iterable<string> = []): string[] {
  const keep = new Set(inProgress);
  for (const layers of lists) for (const l of layers) keep.add(l.id);
  return present.filter((id) => LayerId.safeParse(id).success && !keep.has(id));
}

/**
 * A snapshot in progress, written before its first change on disk and removed once its rows
 * are committed: a worker that dies in between finds it at start-up and undoes the change.
 */
export const PendingSnapshot = z.object({
  snapshot: VolumeId,
  source: VolumeId,
  /** Where the frozen data came from (absolute) and the layer it became. */
  freeze: z.object({ layer: LayerId, from: z.string().startsWith("/") }).optional(),
});
export type PendingSnapshot = z.infer<typeof PendingSnapshot>;
