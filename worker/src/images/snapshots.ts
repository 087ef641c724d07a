import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { chainIds, digestHex, type Descriptor } from "@berth/core";
import type { BlobReader } from "@berth/core/content";
import { unpackLayer } from "./unpack.js";

/**
 * Read-only unpacked layers under snapshots/<chainid>/fs, shared by every image using them.
 * A snapshot is unpacked into a temporary sibling and renamed into place, so a crash never
 * leaves a half-unpacked snapshot under its final name.
 */
export class Snapshots {
  constructor(readonly root: string) {}

  dir(chainId: string): string {
    return path.join(this.root, digestHex(chainId), "fs");
  }

  async init(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
    // Leftovers of an unpack interrupted by a crash.
    for (const name of await fs.readdir(this.root)) {
      if (name.includes(".tmp-")) await fs.rm(path.join(this.root, name), { recursive: true, force: true });
    }
  }

  /** Makes sure every layer is unpacked; returns lowerdirs topmost first (overlayfs order). */
  async prepare(layers: Descriptor[], diffIds: string[], blobs: BlobReader): Promise<string[]> {
    const chains = chainIds(diffIds);
    for (const [i, chain] of chains.entries()) {
      const final = path.join(this.root, digestHex(chain));
      if (await exists(path.join(final, "fs"))) continue;
      const tmp = `${final}.tmp-${randomUUID()}`;
      try {
        // The snapshots below, topmost first: a hard link may name a file of a lower layer.
        const lowers = chains.slice(0, i).map((c) => this.dir(c)).reverse();
        await unpackLayer(layers[i]!, blobs, path.join(tmp, "fs"), lowers);
        await fs.rename(tmp, final).catch(async (e: NodeJS.ErrnoException) => {
          // Another job unpacked the same layer first: theirs is as good as ours.
          if (e.code !== "ENOTEMPTY" && e.code !== "EEXIST") throw e;
          await fs.rm(tmp, { recursive: true, force: true });
        });
      } catch (e) {
        await fs.rm(tmp, { recursive: true, force: true });
        throw e;
      }
    }
    return chains.map((c) => this.dir(c)).reverse();
  }
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}
