import { InvalidArgument } from "@berth/core";
import { cleanEntryPath, cleanLinkTarget } from "./layer-paths.js";
import { classifyEntry } from "./whiteout.js";

/**
 * Checks a layer's entries as they stream by, before the layer is accepted into the store
 * (load, import): the same tar-slip rules unpacking enforces — no absolute paths, no "..",
 * no entry under a path that an earlier entry of this image made a symlink, no hard link
 * whose target's path crosses such a symlink — so a hostile archive is refused at the door with nothing stored.
 * Unpacking checks again against the real filesystem; this is the early, cheap refusal.
 * One checker per image: symlinks of lower layers count for the layers above.
 */
/** What sees a layer's entries as they stream by. */
export interface EntrySink {
  entry(rawPath: string, type: string, linkpath: string | undefined): void;
}

export class LayerChecker implements EntrySink {
  private readonly symlinks = new Set<string>();
  /** How many symlinks sit under each directory: forgetting a path looks below it only when some do. */
  private readonly below = new Map<string, number>();

  entry(rawPath: string, type: string, linkpath: string | undefined): void {
    const rel = cleanEntryPath(rawPath);
    if (rel === "") return;
    const what = classifyEntry(rel);
    const subject = what.kind === "whiteout" ? what.target : what.kind === "opaque" ? what.dir : rel;
    this.refuseThroughSymlink(rawPath, subject, what.kind === "entry" || what.kind === "whiteout" ? 1 : 0);
    if (what.kind === "whiteout") return this.forget(what.target);
    if (what.kind === "opaque") return this.forget(what.dir);
    if (what.kind === "meta") return;
    if (type === "Link") this.checkHardLink(rawPath, linkpath ?? "");
    this.forget(rel);
    if (type === "SymbolicLink") this.add(rel);
  }

  /**
   * A hard link's target must stay inside the image: no absolute path, no "..", and no symlink
   * (of this layer or one below) on its way, or `evil -> /host/dir` + `leak => evil/secret`
   * would link a host file into the image when unpacked.
   */
  private checkHardLink(raw: string, linkpath: string): void {
    const target = cleanLinkTarget(raw, linkpath);
    const parts = target.split("/");
    for (let i = 1; i < parts.length && this.symlinks.size; i++) {
      const prefix = parts.slice(0, i).join("/");
      if (this.symlinks.has(prefix)) throw new InvalidArgument(`layer entry "${raw}" is a hard link to "${linkpath}", whose path crosses the symlink "${prefix}": a hard link's path may not cross a symlink`);
    }
  }

  private add(rel: string): void {
    this.symlinks.add(rel);
    for (const dir of ancestors(rel)) this.below.set(dir, (this.below.get(dir) ?? 0) + 1);
  }

  private remove(rel: string): void {
    if (!this.symlinks.delete(rel)) return;
    for (const dir of ancestors(rel)) {
      const n = (this.below.get(dir) ?? 1) - 1;
      if (n > 0) this.below.set(dir, n);
      else this.below.delete(dir);
    }
  }

  /** Every proper parent of `rel` (and rel itself when `skipLast` is 0, for an opaque dir) must not be a symlink. */
  private refuseThroughSymlink(raw: string, rel: string, skipLast: 0 | 1): void {
    if (this.symlinks.size === 0 || rel === "") return;
    const parts = rel.split("/");
    for (let i = 1; i <= parts.length - skipLast; i++) {
      const prefix = parts.slice(0, i).join("/");
      if (this.symlinks.has(prefix)) throw new InvalidArgument(`layer entry "${raw}" would be written through the symlink "${prefix}"`);
    }
  }

  /** Neither rel nor anything under it is a symlink any more (replaced, whited out, or hidden by an opaque directory). */
  private forget(rel: string): void {
    if (rel === "") {
      this.symlinks.clear();
      this.below.clear();
      return;
    }
    this.remove(rel);
    if (!this.below.has(rel)) return;
    const prefix = `${rel}/`;
    for (const s of [...this.symlinks]) if (s.startsWith(prefix)) this.remove(s);
  }
}

function* ancestors(rel: string): Generator<string> {
  for (let i = rel.indexOf("/"); i >= 0; i = rel.indexOf("/", i + 1)) yield rel.slice(0, i);
}

/**
 * Checks one layer's entries as they stream by (this layer's rules) and keeps them, so the
 * whole image can be checked in layer order afterwards with `checkImage`, when its layers were
 * streamed in parallel (pull): a symlink of one layer matters to the layers above it.
 */
export class LayerEntries implements EntrySink {
  private readonly own = new LayerChecker();
  readonly entries: [string, string, string | undefined][] = [];

  entry(rawPath: string, type: string, linkpath: string | undefined): void {
    this.own.entry(rawPath, type, linkpath);
    this.entries.push([rawPath, type, linkpath]);
  }
}

/** Replays the layers' entries bottom to top through one checker; refusals name the layer (`label(i)`). */
export function checkImage(layers: (LayerEntries | undefined)[], label: (i: number) => string): void {
  const image = new LayerChecker();
  for (const [i, l] of layers.entries()) {
    if (!l) continue; // a layer this host already vouched for: checked when it was stored
    try {
      for (const [p, t, link] of l.entries) image.entry(p, t, link);
    } catch (e) {
      if (e instanceof InvalidArgument) throw new InvalidArgument(`${label(i)}: ${e.message}`);
      throw e;
    }
  }
}
