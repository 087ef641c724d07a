import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { LayerBlob } from "../images/layer.js";
import type { StageConfig } from "./state.js";

/** What a step produced: the stage's layers and config after it. */
export interface CacheEntry {
  layers: LayerBlob[];
  config: StageConfig;
}

/**
 * Step cache: one small JSON file per key under $BERTH_HOME/builds/cache (written to a temp
 * name and renamed, so concurrent builds never see half an entry). The key is a sha256 of the
 * parent step's key, the instruction, the build args in scope and, for COPY/ADD, the content
 * hash of the files read. Blobs an entry names may have been collected since: the caller checks.
 */
export class BuildCache {
  constructor(readonly dir: string) {}

  static key(parts: unknown[]): string {
    return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    try {
      return JSON.parse(await fs.readFile(path.join(this.dir, `${key}.json`), "utf8")) as CacheEntry;
    } catch {
      return undefined;
    }
  }

  async put(key: string, entry: CacheEntry): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    const tmp = path.join(this.dir, `.${key}.${randomUUID()}.tmp`);
    await fs.writeFile(tmp, JSON.stringify(entry));
    await fs.rename(tmp, path.join(this.dir, `${key}.json`));
  }
}
