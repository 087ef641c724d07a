/**
 * When a pushed blob reaches the disk. A blob PUT answers once the digest checks and the bytes are
 * linked into the store; their fsync runs in the background. The manifest PUT that makes the
 * blobs part of an image is the commit point: it waits for the fsync of every blob it names
 * (long done, for all but the last layer or two, since the next layer's upload overlapped it).
 * A push then pays one fsync wait per image instead of one per blob.
 *
 * A crash may leave a published blob whose bytes never reached the disk (empty or short). So a
 * marker, content/unsynced/<algorithm>-<hex>, is created before the link and removed after the
 * fsync: metadata operations reach a journalling filesystem's log in the order they were made,
 * so a link that survived a crash has its marker too. A marker with no fsync of this process
 * behind it (a crash, or another web's upload) is checked by hashing the blob before anything
 * relies on it: at start-up, and when a manifest names the blob. A blob that does not hash to
 * its name is removed, so it is never served under it; the client uploads it again.
 */
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { digestAlgorithm, digestHex, digestOfFile, type Logger } from "@berth/core";
import type { ContentStore } from "@berth/core/content";

/**
 * A marker whose blob is not there yet may be another web's publish in flight (it writes the marker,
 * then links the blob): one younger than this is left for that web. Older, it is a crash's leftover.
 */
export const MARKER_IN_FLIGHT_MS = 60_000;

export class BlobDurability {
  readonly dir: string;
  /** The fsyncs this process started, by digest (true: the blob is on disk). */
  private readonly syncs = new Map<string, Promise<boolean>>();

  constructor(
    private readonly store: ContentStore,
    contentRoot: string,
    private readonly log: Logger,
  ) {
    this.dir = path.join(contentRoot, "unsynced");
  }

  private marker(digest: string): string {
    return path.join(this.dir, `${digestAlgorithm(digest)}-${digestHex(digest)}`);
  }

  /**
   * Moves a verified upload `file` into the store as `digest` and starts its fsync; returns once
   * the blob is visible. Its durability is `ensure`'s to wait for.
   */
  async publish(file: string, digest: string): Promise<void> {
    if (await this.store.has(digest)) {
      // Pushed before (a re-push, another repository): that copy's marker, if any, still covers it.
      await fs.rm(file, { force: true });
      return;
    }
    // Before the blob appears (see the module's comment): the marker is what makes a crash safe.
    await fs.writeFile(this.marker(digest), "");
    // link, not rename: a blob already there (another push of the same layer, perhaps still being
    // flushed) is never replaced by bytes that have not reached the disk.
    try {
      await fs.link(file, this.store.blobPath(digest));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      await fs.rm(file, { force: true });
      return;
    }
    await fs.rm(file, { force: true });
    const sync = this.fsync(digest);
    this.syncs.set(digest, sync);
    void sync.then(() => {
      if (this.syncs.get(digest) === sync) this.syncs.delete(digest);
    });
  }

  /** fsync of the blob, then its marker goes. Throws what the disk said. */
  private async flush(digest: string): Promise<void> {
    const fh = await fs.open(this.store.blobPath(digest), "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rm(this.marker(digest), { force: true });
  }

  private async fsync(digest: string): Promise<boolean> {
    try {
      await this.flush(digest);
      return true;
    } catch (err) {
      // Left for ensure(), which checks the blob again before a manifest relies on it.
      this.log.warn({ err, digest }, "registry: flushing a pushed blob to disk failed; it is checked again before use");
      return false;
    }
  }

  /**
   * Every blob of `digests` is on disk with the bytes its name says. Those that are not (a crash
   * lost them) are removed and returned: the caller treats them as unknown.
   */
  async ensure(digests: readonly string[]): Promise<string[]> {
    const lost: string[] = [];
    await Promise.all(
      digests.map(async (d) => {
        const pending = this.syncs.get(d);
        if (pending && (await pending)) return;
        // One access(2) at once, as ContentStore.has: cheaper than a thread-pool round trip per blob.
        if (!existsSync(this.marker(d))) return;
        if (!(await this.verify(d))) lost.push(d);
      }),
    );
    return lost;
  }

  /**
   * Start-up: checks every marked blob (the markers a crash left) before the registry serves
   * anything; returns how many were lost.
   */
  async recover(): Promise<number> {
    await fs.mkdir(this.dir, { recursive: true });
    const names = await fs.readdir(this.dir);
    let lost = 0;
    for (const name of names) {
      const m = /^(sha256|sha512)-([0-9a-f]+)$/.exec(name);
      if (!m) continue;
      const digest = `${m[1]}:${m[2]}`;
      if (!existsSync(this.store.blobPath(digest)) && (await this.inFlight(digest))) continue;
      if (!(await this.verify(digest))) lost++;
    }
    if (names.length) this.log.info({ checked: names.length, lost }, "registry: checked the blobs a stop left unflushed");
    return lost;
  }

  private async inFlight(digest: string): Promise<boolean> {
    const st = await fs.stat(this.marker(digest)).catch(() => undefined);
    return st !== undefined && Date.now() - st.mtimeMs < MARKER_IN_FLIGHT_MS;
  }

  /**
   * Hashes a marked blob: kept (flushed, unmarked) if it matches its name, removed if not (false).
   * A disk that fails the flush fails this too: nothing may rely on the blob.
   */
  private async verify(digest: string): Promise<boolean> {
    const file = this.store.blobPath(digest);
    let actual: string | undefined;
    try {
      actual = await digestOfFile(file, digestAlgorithm(digest));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    if (actual === digest) {
      await this.flush(digest);
      return true;
    }
    if (actual !== undefined) {
      this.log.warn({ digest, actual }, "registry: a pushed blob did not reach the disk whole before a stop; removed (the client uploads it again)");
      await fs.rm(file, { force: true });
    } else if (await this.inFlight(digest)) {
      // Another web (scale-out) is between its marker and its link: its marker must outlive a crash of it.
      return false;
    }
    await fs.rm(this.marker(digest), { force: true });
    return false;
  }
}
