#!/usr/bin/env node
// `berth run --rm busybox true` next to `docker run --rm busybox true`, same machine, same run.
// Needs root. Installs docker.io from Debian if missing, starts dockerd if it is not running,
// imports the same busybox root into Docker, starts a throwaway Berth, then compares.
//   node bench/run-vs-docker.mjs [--runs N] [--warmup N]
import os from "node:os";
import { compare } from "./lib/compare.mjs";
import { BERTH_BIN, DOCKER, arg, ensureDocker, startBerth } from "./lib/instances.mjs";

const runs = arg("--runs", 20);
const warmup = arg("--warmup", 3);

await ensureDocker();
const berth = await startBerth();
try {
  console.log(`berth run vs docker run (${runs} interleaved runs after ${warmup} warm-up each; ${os.cpus().length} cores)`);
  compare(
    [
      { name: "docker run --rm busybox true", cmd: [DOCKER, "run", "--rm", "busybox", "true"] },
      { name: "npx berth run --rm busybox true", cmd: ["npx", "berth", "run", "--rm", "busybox", "true"], env: berth.env },
      // The command as installed: the file itself, started through its #! line.
      { name: "berth run --rm busybox true (bin)", cmd: [BERTH_BIN, "run", "--rm", "busybox", "true"], env: berth.env },
      // Node started by hand keeps NODE_EXTRA_CA_CERTS and parses it first (see cli/bin/berth.js).
      ...(process.env.NODE_EXTRA_CA_CERTS ? [{ name: "node cli/bin/berth.js run --rm busybox true", cmd: [process.execPath, BERTH_BIN, "run", "--rm", "busybox", "true"], env: berth.env }] : []),
    ],
    { warmup, runs },
  );
} finally {
  await berth.stop();
}
