import fs from "node:fs/promises";
import path from "node:path";
import type { Logger } from "@berth/core";

/** An upload or archive older than this in builds/ was left by a crash (web deletes its files when done). */
const STALE_MS = 24 * 3600_000;

/**
 * $BERTH_HOME/builds holds the archives web and worker hand each other (uploads to load or
 * import, saves and exports to stream out). Start-up removes stale ones; recent ones may
 * belong to a web request still in flight.
 */
export async function cleanBuildsDir(dir: string, log: Logger): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const cutoff = Date.now() - STALE_MS;
  let removed = 0;
  for (const name of await fs.readdir(dir)) {
    if (!/\.tar(\.part|\.tmp-[0-9a-f-]+)?$/.test(name)) continue;
    const p = path.join(dir, name);
    const st = await fs.stat(p).catch(() => undefined);
    if (st?.isFile() && st.mtimeMs < cutoff) {
      await fs.rm(p, { force: true });
      removed++;
    }
  }
  if (removed) log.info({ removed }, "removed stale archives from builds/");
}
