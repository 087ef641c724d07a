import { config, createLogger, homePaths } from "@berth/core";
import { removeCgroup } from "@berth/native";
import { unmountStale } from "./container-fs/index.js";
import { endAllShims } from "./containers/index.js";
import { hostIdentity } from "./host/identity.js";
import { NetworkService } from "./network/index.js";
import { unmountVolumeOverlays } from "./volumes/index.js";

/**
 * `node worker/dist/cleanup.js`: what a worker's own shutdown would have removed, for a worker
 * that died without one (SIGKILL, crash loop). The launcher runs it when it stops after such a
 * death; the next worker's start-up does the same anyway. Needs neither Redis nor the database.
 */
async function main(): Promise<void> {
  const cfg = config();
  const log = createLogger("worker-cleanup");
  const paths = homePaths(cfg.home);
  const hostId = await hostIdentity(paths.hostId, cfg.hostId);
  // Containers first: they die with their cgroup, and their veths with their network namespaces.
  // Their shims (their parents, which outlive a worker) are told to go once they reaped them.
  await endAllShims(paths.containers);
  await removeCgroup(`berth-${hostId}`);
  await unmountStale(paths.containers, log);
  await unmountVolumeOverlays(paths.volumes, log);
  await new NetworkService(cfg.home, hostId, log.child({ part: "network" })).shutdown();
  log.info({ hostId }, "cleaned up after a worker that did not stop by itself");
}

main().catch((err: unknown) => {
  process.stderr.write(`berth worker clean-up failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
