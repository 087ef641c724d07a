import os from "node:os";
import { randomUUID } from "node:crypto";
import { Queue, Worker, type Job } from "bullmq";
import { config, createLogger, homePaths, hostQueueName, JOB, JOB_REGISTRY } from "@berth/core";
import { ContentStore } from "@berth/core/content";
import { db, prepareDb } from "@berth/core/db";
import { connectRedis } from "@berth/core/redis";
import { ContainerManager } from "./containers/index.js";
import { ensureBusybox, Snapshots } from "./images/index.js";
import { hostIdentity, registerHost } from "./host/identity.js";
import { publishHostResources } from "./host/resources.js";
import { startProxyLogTrim } from "./network/proxy-log.js";
import { connectAgent } from "./agent/index.js";
import containerKill from "./jobs/container-kill.js";
import containerRun from "./jobs/container-run.js";
import containerStop from "./jobs/container-stop.js";
import containerRemove from "./jobs/container-remove.js";
import containerStart from "./jobs/container-start.js";
import { JOB_LIFECYCLE } from "@berth/core";
import containerExport from "./jobs/container-export.js";
import containerCommit from "./jobs/container-commit.js";
import imageBootstrap from "./jobs/image-bootstrap.js";
import imagePush from "./jobs/image-push.js";
import registryCheck from "./jobs/registry-check.js";
import imagePull from "./jobs/image-pull.js";
import imageDf from "./jobs/image-df.js";
import imageGc from "./jobs/image-gc.js";
import imageImport from "./jobs/image-import.js";
import imageInspect from "./jobs/image-inspect.js";
import imageLoad from "./jobs/image-load.js";
import imageSave from "./jobs/image-save.js";
import type { ImageJobDeps } from "./jobs/deps.js";
import { cleanBuildsDir } from "./images/builds-dir.js";
import buildJob from "./jobs/build.js";
import { BUILD_JOB, BUILDS_QUEUE } from "@berth/core";
import { JOB_BOOTSTRAP, JOB_COMMIT, JOB_QUOTA } from "@berth/core";
import { JOB_RUNTIME } from "@berth/core";
import { containerPause, containerStats, containerTop } from "./jobs/container-runtime.js";
import { JOB_NETWORK } from "@berth/core";
import { controlPlanePorts, NetworkService } from "./network/index.js";
import { firstAdminTeam } from "./host/first-admin-team.js";
import networkJob from "./jobs/network.js";
import { VolumeStore } from "./volumes/index.js";
import { volumeHandlers } from "./jobs/volume-jobs.js";
import teamVolumeBytes from "./jobs/team-volume-bytes.js";
import { unmountStale } from "./container-fs/index.js";
import { OnceJobs } from "./jobs/once.js";
import { startObservers } from "./observers.js";
import { HealthMonitor } from "./health/monitor.js";
import { JOB_STACK } from "@berth/core";
import stackConverge from "./jobs/stack-converge.js";
import { StackHost } from "./stacks/host.js";
import { StackFreezer } from "./stacks/freezer.js";

const log = createLogger("worker");

async function main(): Promise<void> {
  const cfg = config();
  if (!cfg.redisUrl) throw new Error("REDIS_URL is not set: start the worker through `npm start`, which runs Redis, or set REDIS_URL");
  if (process.getuid?.() !== 0) throw new Error("the worker must run as root: it creates namespaces and mounts");
  const paths = homePaths(cfg.home);
  const client = db();
  await prepareDb(client);
  const redis = connectRedis(cfg.redisUrl);
  const blobs = new ContentStore(paths.content);
  await blobs.init();
  const orphans = await blobs.gcIngest();
  if (orphans) log.info({ orphans }, "removed partial writes from content/ingest");
  const snapshots = new Snapshots(paths.snapshots);
  await snapshots.init();
  const hostId = await hostIdentity(paths.hostId, cfg.hostId);
  // First thing once the host is known: whoever waits on a job the last worker here died in hears of it now.
  // This process, as web's /agent link and the host's list of running jobs know it.
  const instance = randomUUID();
  const once = new OnceJobs(redis, hostId, os.hostname(), instance, log.child({ part: "jobs" }));
  await endInterrupted(once, redis);
  const network = new NetworkService(cfg.home, hostId, log.child({ part: "network" }), {
    controlPlanePorts: cfg.allowContainerControlPlane ? [] : controlPlanePorts(cfg),
    legacyTeam: () => firstAdminTeam(client),
  });
  const volumes = new VolumeStore({ db: client, dir: paths.volumes, hostId, log });
  const health = new HealthMonitor(redis, log, (id, status) => manager.healthChanged(id, status));
  const manager = new ContainerManager({ db: client, redis, blobs, snapshots, containersDir: paths.containers, hostId, log, network, volumes, health });
  await unmountStale(paths.containers, log); // before reconcile removes any container directory
  // Copy-on-write volumes mounted (and a crash's half-made snapshot undone) before any container starts.
  await volumes.layered.recover();
  // The networks first: reconcile brings containers back by their restart policies, onto them.
  await network.init();
  await manager.reconcile();
  await ensureBusybox(client, blobs, log);

  await cleanBuildsDir(paths.builds, log);
  const imageDeps: ImageJobDeps = { db: client, blobs, snapshots, buildsDir: paths.builds, containersDir: paths.containers, hostId, log };

  const handlers: Record<string, (job: Job) => Promise<unknown>> = {
    [JOB.containerRun]: containerRun(manager),
    [JOB.containerKill]: containerKill(manager),
    [JOB_LIFECYCLE.containerStop]: containerStop(manager, log),
    [JOB_LIFECYCLE.containerRemove]: containerRemove(manager, log),
    [JOB_LIFECYCLE.containerStart]: containerStart(manager, log),
    [JOB_RUNTIME.containerPause]: containerPause(manager, log),
    [JOB_RUNTIME.containerTop]: containerTop(manager, log),
    [JOB_RUNTIME.containerStats]: containerStats(manager, log),
    [JOB.imageLoad]: imageLoad(imageDeps),
    [JOB.imageSave]: imageSave(imageDeps),
    [JOB.imageImport]: imageImport(imageDeps),
    [JOB.imageInspect]: imageInspect(imageDeps),
    [JOB.imageGc]: imageGc(imageDeps),
    [JOB.imageDf]: imageDf(imageDeps),
    [JOB.containerExport]: containerExport(imageDeps),
    [JOB_COMMIT.containerCommit]: containerCommit(imageDeps),
    [JOB_BOOTSTRAP.imageBootstrap]: imageBootstrap(imageDeps),
    [JOB_REGISTRY.imagePush]: imagePush({ ...imageDeps, redis }),
    [JOB_REGISTRY.imagePull]: imagePull({ ...imageDeps, redis }),
    [JOB_REGISTRY.registryCheck]: registryCheck({ redis, log }),
    [JOB_NETWORK.network]: networkJob(network, log),
    ...volumeHandlers({ ...imageDeps, volumes }),
    [JOB_QUOTA.teamVolumeBytes]: teamVolumeBytes({ ...imageDeps, volumes }),
    [JOB_STACK.converge]: stackConverge({ db: client, redis, log, host: new StackHost({ db: client, redis, blobs, hostId, manager, network, volumes, log }) }),
  };
  const worker = new Worker(
    hostQueueName(hostId),
    once.wrap(hostQueueName(hostId), async (job) => {
      const handler = handlers[job.name];
      if (!handler) throw new Error(`unknown job "${job.name}" on ${hostQueueName(hostId)}`);
      return handler(job);
    }),
    { connection: connectRedis(cfg.redisUrl), concurrency: 32 },
  );
  worker.on("failed", (job, err) => log.error({ job: job?.name, id: job?.id, err }, "job failed"));
  worker.on("error", (err) => log.error({ err }, "queue error"));
  await worker.waitUntilReady();
  // Builds: any worker takes them (the context travels as a file under builds/).
  const runBuild = buildJob({ db: client, redis, blobs, snapshots, buildsDir: paths.builds, hostId, hostName: os.hostname(), log, network });
  const builds = new Worker(
    BUILDS_QUEUE,
    once.wrap(BUILDS_QUEUE, async (job) => {
      if (job.name !== BUILD_JOB) throw new Error(`unknown job "${job.name}" on ${BUILDS_QUEUE}`);
      return runBuild(job);
    }),
    { connection: connectRedis(cfg.redisUrl), concurrency: 4, lockDuration: 60_000 },
  );
  builds.on("failed", (job, err) => log.error({ job: job?.name, id: job?.id, err }, "build job failed"));
  builds.on("error", (err) => log.error({ err }, "builds queue error"));
  await builds.waitUntilReady();
  const unregister = await registerHost(client, hostId);
  publishHostResources(redis, hostId, cfg.home, log); // unref'd timer: ends with the process
  startProxyLogTrim(paths.portProxyLog, log); // likewise
  const agent = connectAgent({ url: cfg.url, home: cfg.home, hostId, instance, manager, log });
  const freezer = new StackFreezer({ db: client, redis, hostId, manager, log: log.child({ part: "freezer" }) });
  freezer.start();
  const observers = startObservers({ db: client, redis, hostId, containersDir: paths.containers, containers: manager, log }, cfg);
  log.info({ hostId, home: cfg.home }, "worker ready");

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal, running: manager.count }, "shutting down");
    const force = setTimeout(() => {
      log.error("shutdown took too long; exiting");
      process.exit(1);
    }, 20_000);
    try {
      await unregister();
      agent.close();
      await observers.stop();
      await freezer.stop();
      await worker.close();
      await builds.close();
      runBuild.close();
      health.stopAll();
      await manager.stopAll(3000);
      await volumes.layered.unmountAll();
      await network.shutdown().catch((err: unknown) => log.error({ err }, "network clean-up failed"));
      await redis.quit();
      await client.$disconnect();
    } finally {
      clearTimeout(force);
    }
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

async function endInterrupted(once: OnceJobs, redis: ReturnType<typeof connectRedis>): Promise<void> {
  const queues = new Map<string, Queue>();
  const queue = (name: string) => queues.get(name) ?? queues.set(name, new Queue(name, { connection: redis })).get(name)!;
  try {
    const n = await once.endInterrupted(queue);
    if (n) log.warn({ jobs: n }, "ended the jobs the previous worker on this host was running when it stopped");
  } finally {
    // The connection is shared: closing a Queue given one leaves it open.
    await Promise.all([...queues.values()].map((q) => q.close()));
  }
}

main().catch((err: unknown) => {
  log.fatal({ err }, "worker failed to start");
  process.exit(1);
});
