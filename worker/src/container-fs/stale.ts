import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import { promisify } from "node:util";
import type { Logger } from "@berth/core";

const run = promisify(execFile);

/** mountinfo escapes spaces and the like as \\ooo. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/**
 * Start-up, before any directory of a container is removed: a worker that died during `cp` on a
 * stopped container left that container's overlay (and volumes) mounted at containers/<id>/fs-*.
 * Removing the directory through those mounts would delete volume data, so they go first.
 */
export async function unmountStale(containersDir: string, log: Logger): Promise<void> {
  const info = await fs.readFile("/proc/self/mountinfo", "utf8");
  const prefix = containersDir.replace(/\/+$/, "") + "/";
  const stale = info
    .split("\n")
    .map((l) => unescape(l.split(" ")[4] ?? ""))
    .filter((m) => m.startsWith(prefix) && /^[0-9a-f]{64}\/fs-[0-9a-f-]{36}$/.test(m.slice(prefix.length)));
  for (const m of stale) {
    await run("umount", ["-R", "-l", m]).catch((err: unknown) => log.error({ err, mount: m }, "could not unmount a cp mount left by a previous worker"));
    log.warn({ mount: m }, "unmounted a cp mount left by a previous worker");
  }
}
