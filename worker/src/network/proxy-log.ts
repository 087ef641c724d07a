/**
 * The port proxies' shared log (<BERTH_HOME>/network/port-proxy.log) stays small: past
 * PROXY_LOG_MAX_BYTES its lines move to port-proxy.log.1 (replacing the older ones) and the file
 * starts empty again. Copy then truncate, not rename: the running proxies hold the file open in
 * append mode, so they go on writing at its new end instead of into the old copy.
 */
import fs from "node:fs/promises";
import type { Logger } from "@berth/core";

export const PROXY_LOG_MAX_BYTES = 4 << 20;

/** Trims `file` when it is past `maxBytes`; true when it did. A missing file is fine. */
export async function trimProxyLog(file: string, maxBytes = PROXY_LOG_MAX_BYTES): Promise<boolean> {
  let size: number;
  try {
    size = (await fs.stat(file)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
  if (size <= maxBytes) return false;
  await fs.copyFile(file, `${file}.1`);
  await fs.truncate(file, 0);
  return true;
}

/** Checks the log every `everyMs` (unref'd); returns the stop. */
export function startProxyLogTrim(file: string, log: Logger, everyMs = 60_000): () => void {
  const tick = () =>
    void trimProxyLog(file).then(
      (trimmed) => trimmed && log.info({ file }, "port proxy log trimmed (its older lines are in .1)"),
      (err: unknown) => log.warn({ err, file }, "trimming the port proxy log failed"),
    );
  tick();
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
