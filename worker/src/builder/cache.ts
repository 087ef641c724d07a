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
  /**
   * The entries this process read or wrote lately, as their JSON (each get parses a fresh copy):
   * a rebuild asks for every step's entry again, and a file read costs more than the rest of a
   * cached step. Entries never change under a key, so a remembered one is never stale.
   */
  private readonly recent = new Map<string, string>();

  constructor(
    readonly dir: string,
    private readonly remember = 4096,
  ) {}

  static key(parts: unknown[]): string {
    return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    const known = this.recent.get(key);
    if (known !== undefined) return JSON.parse(known) as CacheEntry;
    try {
      const text = await fs.readFile(path.join(this.dir, `${key}.json`), "utf8");
      const entry = JSON.parse(text) as CacheEntry;
      this.keep(key, text);
      return entry;
    } catch {
      // absent, or unreadable: a miss (the step runs and writes it anew)
      return undefined;
    }
  }

  async put(key: string, entry: CacheEntry): Promise<void> {
    const text = JSON.stringify(entry);
    await fs.mkdir(this.dir, { recursive: true });
    const tmp = path.join(this.dir, `.${key}.${randomUUID()}.tmp`);
    await fs.writeFile(tmp, text);
    await fs.rename(tmp, path.join(this.dir, `${key}.json`));
    this.keep(key, text);
  }

  private keep(key: string, text: string): void {
    this.recent.delete(key);
    this.recent.set(key, text);
    // A Map iterates in insertion order: the first key is the least recently used.
    if (this.recent.size > this.remember) this.recent.delete(this.recent.keys().next().value!);
  }
}
