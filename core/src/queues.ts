import { z } from "zod";

/** BullMQ queue names. Container operations go to the queue of the host that owns the container. */
export const BUILDS_QUEUE = "builds";
export const hostQueueName = (hostId: string) => `host.${hostId}`;

/** Job names on a host queue. */
export const JOB = {
  containerRun: "container.run",
  containerKill: "container.kill",
  imageLoad: "image.load",
  imageSave: "image.save",
  imageImport: "image.import",
  imageInspect: "image.inspect",
  imageGc: "image.gc",
  imageDf: "image.df",
  containerExport: "container.export",
} as const;

/** Payloads carry ids, never secrets; the worker reads the rest from the DB. */
export const ContainerRunJob = z.object({
  containerId: z.string().regex(/^[0-9a-f]{64}$/),
  /** false for `run -d`: nobody is about to attach, so a -i/-t container starts at once. */
  waitForAttach: z.boolean().default(true),
});
export type ContainerRunJob = z.infer<typeof ContainerRunJob>;

export const ContainerKillJob = z.object({
  containerId: z.string().regex(/^[0-9a-f]{64}$/),
  signal: z.number().int().min(1).max(64).default(15),
});
export type ContainerKillJob = z.infer<typeof ContainerKillJob>;

// ---- Images (save/load/import/export, inspect, GC) -----------------------------------------
// Big files travel as files under $BERTH_HOME/builds, named in the payload (never a path:
// the worker joins the name to its own builds dir). In single-host mode web and worker share
// BERTH_HOME; across hosts these jobs go to the host that holds the image or container.

/** "<uuid>.tar": a file in $BERTH_HOME/builds. */
export const BuildsFileName = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tar$/, "a <uuid>.tar file name");
const ImageId = z.string().regex(/^sha256:[0-9a-f]{64}$/);

/** Reads a docker-archive or OCI-layout tar into the store; tags what it names. */
export const ImageLoadJob = z.object({
  archive: BuildsFileName,
  /** The team the loaded tags belong to (the loader's); none: shared base images. */
  teamId: z.string().min(1).max(64).optional(),
  /** The loader is the site admin (may move shared base tags); another team's tag is refused either way. */
  siteAdmin: z.boolean().default(false),
});
export type ImageLoadJob = z.infer<typeof ImageLoadJob>;
export interface ImageLoadResult {
  images: { id: string; tags: string[] }[];
}

export const ImageSaveJob = z.object({
  images: z.array(z.object({ id: ImageId, tags: z.array(z.string().max(512)).max(1000) })).min(1).max(1000),
  format: z.enum(["docker", "oci"]),
  output: BuildsFileName,
});
export type ImageSaveJob = z.infer<typeof ImageSaveJob>;
export interface ImageSaveResult {
  size: number;
}

/** A rootfs tar (plain or gzip) → a one-layer image. `changes` are Dockerfile-style lines (CMD, ENV, …). */
export const ImageImportJob = z.object({
  archive: BuildsFileName,
  ref: z.string().max(512).optional(),
  message: z.string().max(4096).optional(),
  changes: z.array(z.string().max(64 * 1024)).max(100).default([]),
  /** The team the new tags belong to (web checked the caller may write them); none: a shared base. */
  teamId: z.string().min(1).max(64).optional(),
});
export type ImageImportJob = z.infer<typeof ImageImportJob>;
export interface ImageImportResult {
  id: string;
}

export const ImageInspectJob = z.object({ imageId: ImageId });
export type ImageInspectJob = z.infer<typeof ImageInspectJob>;
export interface ImageInspectResult {
  id: string;
  manifestDigest: string;
  /** The manifest and config as stored (JSON). */
  manifest: unknown;
  config: unknown;
  /** Sum of the uncompressed layer sizes, when known (0 otherwise). */
  size: number;
  /** Compressed size of each layer, in manifest order. */
  layerSizes: number[];
}

/** Mark and sweep (core/src/content/gc.ts): removes blobs and snapshots no image, container or registry row refers to. */
export const ImageGcJob = z.object({ dryRun: z.boolean().default(false) });
export type ImageGcJob = z.infer<typeof ImageGcJob>;
export interface ImageGcResult {
  blobsRemoved: number;
  snapshotsRemoved: number;
  bytesReclaimed: number;
  /** Build cache entries that named a swept blob. */
  cacheEntriesRemoved: number;
}

export const ImageDfJob = z.object({
  /** Count only what this team sees (its containers, its and shared images); none: the whole host (the site admin's). */
  teamId: z.string().min(1).max(64).optional(),
});
export type ImageDfJob = z.infer<typeof ImageDfJob>;
export interface ImageDfResult {
  images: { total: number; active: number; size: number; reclaimable: number };
  /** `sizes`: each container's own layer (bytes by id), for `ps -s`. */
  containers: { total: number; active: number; size: number; reclaimable: number; sizes?: Record<string, number> };
  /** Blobs and snapshots on disk, referenced or not. */
  content: { blobs: number; blobBytes: number; snapshots: number; snapshotBytes: number };
}

/** The container's merged root (image snapshots + its own upper dir) as a plain tar. */
export const ContainerExportJob = z.object({ containerId: z.string().regex(/^[0-9a-f]{64}$/), output: BuildsFileName });
export type ContainerExportJob = z.infer<typeof ContainerExportJob>;
export interface ContainerExportResult {
  size: number;
}

/**
 * What an image job returns: errors as values, so their kind (NotFound, InvalidArgument, …)
 * reaches web intact (BullMQ keeps only a failed job's message).
 */
export type JobOutcome<T> = { ok: true; value: T } | { ok: false; kind: string; message: string };

// ---- Registry client (push/pull) ------------------------------------------------------------
// Credentials never ride in a payload: web stores them in Redis under a random key with a short
// TTL (REGISTRY_CREDENTIAL_TTL_S) and passes the key; the worker reads and deletes it (GETDEL)
// when the job starts. The key alone is useless once read or expired.

export const JOB_REGISTRY = {
  imagePush: "image.push",
  imagePull: "image.pull",
  registryCheck: "registry.check",
} as const;

/** Redis key prefix for a job's registry credential ({username, password} JSON). */
export const REGISTRY_CREDENTIAL_PREFIX = "berth:regcred:";
export const REGISTRY_CREDENTIAL_TTL_S = 600;
const CredentialKey = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "a uuid");

/** Pushes a local image to the registry its ref names ("host[:port]/repo:tag"). */
export const ImagePushJob = z.object({
  imageId: ImageId,
  ref: z.string().min(1).max(512),
  credentialKey: CredentialKey.optional(),
  /**
   * Read the manifest back from the registry once pushed and fail unless its digest is the one
   * pushed and it names this image's config (a promotion to another registry proves the copy).
   */
  verify: z.boolean().default(false),
});
export type ImagePushJob = z.infer<typeof ImagePushJob>;
export interface ImagePushResult {
  digest: string;
  size: number;
  /** With `verify`: the digest the registry answered for the reference, read back (equal to `digest`). */
  verified?: string;
}

/**
 * Tries a registry's credentials as `docker login` does: GET /v2/ with them (a Bearer registry's
 * token exchange included), nothing read or written. Fails Unauthenticated if the registry
 * refuses them, Unavailable if it cannot be reached.
 */
export const RegistryCheckJob = z.object({
  /** "host[:port]" */
  registry: z.string().min(1).max(256),
  credentialKey: CredentialKey,
});
export type RegistryCheckJob = z.infer<typeof RegistryCheckJob>;

/** Pulls "host[:port]/repo[:tag|@digest]" into the store and tags it under that ref. */
export const ImagePullJob = z.object({
  ref: z.string().min(1).max(512),
  credentialKey: CredentialKey.optional(),
  /** The team the pulled tag belongs to (the puller's); none: a shared base image. */
  teamId: z.string().min(1).max(64).optional(),
  /** The puller is the site admin (may move shared base tags); another team's tag is refused either way. */
  siteAdmin: z.boolean().default(false),
});
export type ImagePullJob = z.infer<typeof ImagePullJob>;
export interface ImagePullResult {
  id: string;
  digest: string;
  ref: string;
}

/** A progress event of a push or pull, as `job.updateProgress` carries it: one line for the CLI. */
export interface RegistryProgress {
  /** Short digest ("abc123def456") or "" for status lines. */
  id: string;
  status: string;
}

// ---- Builds (Dockerfile builder) -------------------------------------------------------------
// Any worker takes a build from BUILDS_QUEUE. The context arrives as builds/<uuid>.tar; the
// worker writes the build's output, then one end event, to the Redis stream `build:<buildId>`.

export const BUILD_JOB = "build";
/** A build context this small (bytes of tar) travels inside its job: no file, no shared disk between web and worker. */
export const INLINE_CONTEXT_MAX = 256 * 1024;
export const BuildJob = z.object({
  buildId: z.string().uuid(),
  /** The context: a tar under builds/ (a large one), or the tar itself, base64 (one of INLINE_CONTEXT_MAX bytes at most). */
  context: z.union([BuildsFileName, z.object({ inline: z.base64().max(Math.ceil(INLINE_CONTEXT_MAX / 3) * 4) })]),
  /** Path of the Dockerfile inside the context. */
  dockerfile: z.string().min(1).max(4096).default("Dockerfile"),
  /** Normalised refs ("name:tag") to point at the result; moved only when the build succeeds. */
  tags: z.array(z.string().max(512)).max(100).default([]),
  target: z.string().max(256).optional(),
  buildArgs: z.record(z.string(), z.string().max(64 * 1024)).default({}),
  noCache: z.boolean().default(false),
  /** `--network` of the RUN steps: the default bridge network ("default" = "bridge"), the host's, or only lo. */
  network: z.enum(["default", "bridge", "host", "none"]).default("default"),
  /** The team the new tags belong to (web checked the caller may write them); none: a shared base. */
  teamId: z.string().min(1).max(64).optional(),
});
export type BuildJob = z.infer<typeof BuildJob>;
export const buildStreamKey = (buildId: string) => `build:${buildId}`;
export const BUILD_STREAM_TTL_SECONDS = 3600;
/** The team a build ran for (a plain string key beside its stream), so only that team reads its output. */
export const buildTeamKey = (buildId: string) => `build-team:${buildId}`;
/** Outlives the stream: a day covers the longest build plus the stream's hour after it ends. */
export const BUILD_TEAM_TTL_SECONDS = 24 * 3600;
/** One entry of a build's stream (field `e`, JSON). */
export type BuildEvent = { type: "out"; text: string } | { type: "end"; ok: true; id: string } | { type: "end"; ok: false; kind: string; message: string };

// ---- Commit (a container's changes → a new image) ----------------------------------------------
// Runs on the container's host: its upper dir becomes one more layer on top of its image.

export const JOB_COMMIT = { containerCommit: "container.commit" } as const;
export const ContainerCommitJob = z.object({
  containerId: z.string().regex(/^[0-9a-f]{64}$/),
  /** Normalised "name:tag", or none (an untagged image, as `docker commit C` makes). */
  ref: z.string().max(512).optional(),
  message: z.string().max(4096).optional(),
  author: z.string().max(512).optional(),
  /** The team the new tags belong to (web checked the caller may write them); none: a shared base. */
  teamId: z.string().min(1).max(64).optional(),
  /** Dockerfile-style lines (CMD, ENV, …), as for import. */
  changes: z.array(z.string().max(64 * 1024)).max(100).default([]),
});
export type ContainerCommitJob = z.infer<typeof ContainerCommitJob>;
export interface ContainerCommitResult {
  id: string;
}

// ---- Base images made on the host (`image bootstrap`) -------------------------------------------
// debootstrap from the Debian mirror the host's apt uses; made once, then the tag is reused.

export const JOB_BOOTSTRAP = { imageBootstrap: "image.bootstrap" } as const;
export const ImageBootstrapJob = z.object({
  /** "debian:<suite>". */
  ref: z.string().regex(/^debian:[a-z][a-z0-9-]{1,30}$/, "debian:<suite>, e.g. debian:bookworm"),
  /** A mirror URL; default: the host's apt sources. */
  mirror: z.string().url().max(1024).optional(),
});
export type ImageBootstrapJob = z.infer<typeof ImageBootstrapJob>;
export interface ImageBootstrapResult {
  id: string;
  ref: string;
  /** The tag already existed: nothing was made. */
  cached: boolean;
  mirror?: string;
}

// ---- Container lifecycle (stop, remove) --------------------------------------------------------
// On the container's host; web waits for the JobOutcome so the CLI returns after the effect.

export const JOB_LIFECYCLE = { containerStop: "container.stop", containerRemove: "container.remove", containerStart: "container.start" } as const;
/** SIGTERM (or `signal`), then SIGKILL after timeoutSec; resolves once the exit is recorded. */
export const ContainerStopJob = z.object({
  containerId: z.string().regex(/^[0-9a-f]{64}$/),
  timeoutSec: z.number().int().min(0).max(3600).default(10),
  signal: z.number().int().min(1).max(64).optional(),
});
export type ContainerStopJob = z.infer<typeof ContainerStopJob>;
export interface ContainerStopResult {
  /** False when it was not running (nothing to do, as docker). */
  stopped: boolean;
}
/** Kills (when `force`) and waits for a running container, then deletes its directory. Web deletes the row. */
export const ContainerRemoveJob = z.object({ containerId: z.string().regex(/^[0-9a-f]{64}$/), force: z.boolean().default(false) });
export type ContainerRemoveJob = z.infer<typeof ContainerRemoveJob>;
/** Starts a created container, or an exited one again (same upper dir, as docker); returns once it runs or failed to. */
export const ContainerStartJob = z.object({ containerId: z.string().regex(/^[0-9a-f]{64}$/) });
export type ContainerStartJob = z.infer<typeof ContainerStartJob>;
