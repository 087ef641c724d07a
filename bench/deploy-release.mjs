#!/usr/bin/env node
// Releases (issue 17), the deploy part of bench/deploy.mjs (which runs it through
// `benchDeployRelease()`; runnable alone too): for a 2-service app (web: busybox httpd with a
// health file, 2 replicas; api beside it), the promote time, from deployRelease() (the decision:
// what `berth promote` calls once the release row is written) to the environment's URL serving
// the new release through the edge; and the requests that failed while deploys ran: loops of
// requests on loopback through the edge (keep-alive, --clients of them) during every deploy, at
// least --min-requests in all (goal: 0 failed of >= 10,000). Each deploy alternates two images
// (no build is timed: a release names images by digest); the health check is http GET
// /health.txt every --interval ms, its wait is part of the time (reported beside it). The same
// loops also run through --rollbacks rollbacks (rollback(), as `berth rollback` runs it) and
// --restarts kill -9s of web (the launcher starts it again), and count their failures too.
//   node bench/deploy-release.mjs [--runs N] [--warmup N] [--clients N] [--min-requests N] [--interval MS] [--rollbacks N] [--restarts N]
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./lib/compare.mjs";
import { arg, root, sleep, startBerth } from "./lib/instances.mjs";
import { releaseProject, writeRelease } from "../test/release-fixture.mjs";

/** The pid of the instance's process running `script` (web, worker), read from /proc. */
function pidOf(home, script) {
  for (const p of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (!fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes(path.join(root, script))) continue;
      if (fs.readFileSync(`/proc/${p}/environ`, "utf8").split("\0").includes(`BERTH_HOME=${home}`)) return Number(p);
    } catch {
      /* gone */
    }
  }
  return null;
}

/** Runs the deploy benchmark on its own Berth; prints a table and returns its rows. */
export async function benchDeployRelease({ runs = 10, warmup = 1, clients = 4, minRequests = 10_000, intervalMs = 100, rollbacks = 4, restarts = 2 } = {}) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-deploy-release-"));
  const berth = await startBerth({ logLevel: "error" });
  berth.berth("team", "create", "bench");
  // deployRelease runs in this process against the instance, as web's promote runs it.
  Object.assign(process.env, { BERTH_HOME: berth.home, BERTH_EDGE_PORT: String(berth.edgePort), BERTH_PORT: new URL(berth.url).port, BERTH_LOG_LEVEL: "error", REDIS_URL: `unix://${path.join(berth.home, "redis", "redis.sock")}` });
  delete process.env.DATABASE_URL;
  const { deployRelease } = await import(path.join(root, "web/dist/src/server/releases/deploy.js"));
  const { rollback } = await import(path.join(root, "web/dist/src/server/releases/promote.js"));
  const { loadSecretKey, seal } = await import(path.join(root, "web/dist/src/server/secrets/index.js"));
  const { createServices } = await import(path.join(root, "web/dist/src/server/services.js"));
  const { createDb } = await import(path.join(root, "core/dist/db.js"));
  const { createLogger } = await import(path.join(root, "core/dist/index.js"));
  const db = createDb(`file:${path.join(berth.home, "berth.db")}`);
  const services = createServices({ db, redisUrl: process.env.REDIS_URL, log: createLogger("bench", "error") });
  const team = await db.team.findUniqueOrThrow({ where: { name: "bench" } });
  const admin = await db.user.findFirstOrThrow({ where: { isAdmin: true } });
  const actor = { userId: admin.id, userName: admin.name, siteAdmin: false, readOnly: false, team: { id: team.id, name: team.name, personal: team.personal }, role: "member" };
  const projectId = randomUUID();
  const envId = randomUUID();
  await db.project.create({ data: { id: projectId, teamId: team.id, name: "shop" } });
  await db.environment.create({ data: { id: envId, projectId, name: "production", position: 2, replicas: 2, watchSeconds: 0 } });
  const host = `env--production--shop--bench.localhost:${berth.edgePort}`;

  const build = (name, dockerfile, files = {}) => {
    const dir = path.join(work, name);
    fs.mkdirSync(dir, { recursive: true });
    for (const [f, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), text);
    }
    fs.writeFileSync(path.join(dir, "Dockerfile"), dockerfile);
    return berth.berth("--team", "bench", "build", "-q", "-t", `bench/shop/${name}:1`, dir).trim();
  };
  const webOf = (v) => build(`web-${v}`, `FROM busybox\nCOPY www /www\nEXPOSE 8080\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n`, { "www/index.html": `${v}\n`, "www/health.txt": "ok\n" });
  const images = { a: webOf("a"), b: webOf("b"), api: build("api", "FROM busybox\nLABEL app=api\n") };
  const health = { kind: "http", path: "/health.txt", status: 200, intervalMs, timeoutMs: 2_000, retries: 3, startPeriodMs: 10_000 };
  const project = releaseProject({
    // busybox httpd as PID 1 ignores SIGTERM: a short grace keeps the old replicas' stop (after the switch, untimed) short.
    web: { image: "x", expose: ["8080"], labels: { "berth.web.port": "8080" }, stopGracePeriodSec: 1, dependsOn: { api: { condition: "service_started", required: true, restart: false } } },
    api: { image: "x", command: ["httpd", "-f", "-p", "9000", "-h", "/"], expose: ["9000"], stopGracePeriodSec: 1 },
  });
  const key = await loadSecretKey(berth.home);
  let number = 0;
  const release = async (v) =>
    (
      await writeRelease(db, {
        environmentId: envId,
        number: ++number,
        images: { web: images[v], api: images.api },
        project,
        config: { GREETING: { value: "hello" } },
        seal: (context, value) => seal(key, context, value),
        health,
        sha: null,
        reason: `bench v${number}`,
        createdByName: "bench",
      })
    ).id;

  const agent = new http.Agent({ keepAlive: true, maxSockets: clients * 2 });
  const get = () =>
    new Promise((resolve) => {
      const req = http.get({ host: "127.0.0.1", port: berth.edgePort, path: "/", agent, headers: { host, authorization: `Bearer ${berth.token}` }, timeout: 10_000 }, (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (d) => (body += d));
        res.once("end", () => resolve({ status: res.statusCode, body: body.trim() }));
        res.once("error", (err) => resolve({ status: 0, body: err.message }));
      });
      req.once("timeout", () => req.destroy(new Error("timeout")));
      req.once("error", (err) => resolve({ status: 0, body: err.message }));
    });
  const serving = async (v) => {
    for (let i = 0; i < 100_000; i++) {
      if ((await get()).body === v) return;
      await sleep(2);
    }
    throw new Error(`the environment never served ${v}`);
  };

  const rows = [];
  // Progress on stderr, so a run that stalls says in which step.
  const step = (what) => process.stderr.write(`deploy-release: ${what}\n`);
  try {
    let v = "a";
    // Each deploy's watch window (0 s here) then removes the replicas it replaced: waited for before the next.
    let watch = (await deployRelease(services, await release(v), { actor, onLine: () => {} })).watch;
    await serving(v);
    // The load: clients loop until told to stop; a request failed = not 200 with one of the two pages.
    let load = true;
    let total = 0;
    const failed = [];
    const loop = async () => {
      while (load) {
        const r = await get();
        total++;
        if (r.status !== 200 || (r.body !== "a" && r.body !== "b")) failed.push(`${r.status} ${r.body.slice(0, 80)}`);
      }
    };
    const times = [];
    const loops = Array.from({ length: clients }, loop);
    for (let i = 0; i < warmup + runs || total < minRequests; i++) {
      v = v === "a" ? "b" : "a";
      await watch;
      const id = await release(v);
      step(`deploy ${i + 1} (${v})`);
      const t0 = performance.now();
      // Timed until the URL serves it (the old replicas' drain and stop come after and are not waited for here).
      const served = serving(v).then(() => performance.now() - t0);
      watch = (await deployRelease(services, id, { actor, onLine: () => {} })).watch;
      if (i >= warmup) times.push(await served);
      if (i > 1_000) break;
    }
    // Rollbacks through the same loops: each goes back to the release before the live one (the other page).
    const during = { deploys: total };
    for (let i = 0; i < rollbacks; i++) {
      await watch;
      v = v === "a" ? "b" : "a";
      step(`rollback ${i + 1} (${v})`);
      const out = await rollback(services, actor, "shop", "production", undefined);
      watch = out.watch ?? Promise.resolve();
      await serving(v);
    }
    during.rollbacks = total - during.deploys;
    // kill -9 of web while the loops run: production traffic goes through the edge, never web.
    for (let i = 0; i < restarts; i++) {
      const web = pidOf(berth.home, "web/dist/server.js");
      if (!web) throw new Error("web's process was not found");
      step(`kill -9 of web ${i + 1}`);
      process.kill(web, "SIGKILL");
      const t0 = Date.now();
      for (;;) {
        const now = pidOf(berth.home, "web/dist/server.js");
        const up = now && now !== web ? await fetch(`${berth.url}/api/health`).then((r) => r.ok, () => false) : false;
        if (up) break;
        if (Date.now() - t0 > 120_000) throw new Error("web did not come back after kill -9");
        await sleep(100);
      }
    }
    during.restarts = total - during.deploys - during.rollbacks;
    load = false;
    await Promise.all(loops);
    await watch;
    agent.destroy();
    rows.push({ what: "promote: deployRelease() to the URL serving it (2 replicas, 2 services)", median_ms: +median(times).toFixed(0), min_ms: +Math.min(...times).toFixed(0), runs: times.length, health: `GET /health.txt every ${intervalMs} ms` });
    rows.push({ what: `requests failed during ${times.length + warmup} deploys, ${rollbacks} rollbacks, ${restarts} kill -9s of web`, median_ms: "", min_ms: "", runs: `${failed.length} of ${total}`, health: `${clients} keep-alive clients through the edge; ${during.deploys} / ${during.rollbacks} / ${during.restarts} sent in each part` });
    console.log(`deploy of a release to its environment (${os.cpus().length} cores; ${times.length} deploys after ${warmup} warm-up)`);
    console.table(rows);
    if (failed.length) console.log(`first failures: ${failed.slice(0, 5).join("; ")}`);
    return rows;
  } finally {
    await services.queues.close();
    services.redis.disconnect();
    await db.$disconnect();
    await berth.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await benchDeployRelease({ runs: arg("--runs", 10), warmup: arg("--warmup", 1), clients: arg("--clients", 4), minRequests: arg("--min-requests", 10_000), intervalMs: arg("--interval", 100), rollbacks: arg("--rollbacks", 4), restarts: arg("--restarts", 2) });
  } catch (err) {
    console.error(err);
    process.exitCode = 1;
  }
  // Process-lifetime Redis readers of the imported web modules would hold the process open.
  process.exit(process.exitCode ?? 0);
}
