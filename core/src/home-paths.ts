/** Kept free of zod: the CLI reads the admin token path without loading the rest of core. */
import path from "node:path";

/** Where things live under BERTH_HOME (see ARCHITECTURE.md "Data on a host"). */
export function homePaths(home: string) {
  return {
    home,
    content: path.join(home, "content"),
    blobs: path.join(home, "content", "blobs", "sha256"),
    ingest: path.join(home, "content", "ingest"),
    snapshots: path.join(home, "snapshots"),
    containers: path.join(home, "containers"),
    volumes: path.join(home, "volumes"),
    /** Logs of removed containers, kept until the retention runs out (removed-logs/<id>/). */
    removedLogs: path.join(home, "removed-logs"),
    builds: path.join(home, "builds"),
    /** The port proxies' log (berth-port-proxy): one JSON line per failed connect toward a container, rate-limited. */
    portProxyLog: path.join(home, "network", "port-proxy.log"),
    /** Terminal recordings (asciicast v2 + a .json beside each). */
    recordings: path.join(home, "terminals", "recordings"),
    redis: path.join(home, "redis"),
    redisSocket: path.join(home, "redis", "redis.sock"),
    adminToken: path.join(home, "admin.token"),
    /** One-time code that claims the admin account in the dashboard (removed once used). */
    setupCode: path.join(home, "setup.code"),
    hostId: path.join(home, "host-id"),
    secret: path.join(home, "secret.key"),
  };
}
export type HomePaths = ReturnType<typeof homePaths>;
