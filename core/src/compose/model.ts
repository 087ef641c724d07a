import { z } from "zod";
import { ExtraHost } from "../network.js";

/**
 * A compose project after loading: files merged, variables interpolated, short forms
 * expanded, relative paths made absolute. This is what the CLI sends and the server stores.
 */
export const ComposePort = z.object({
  target: z.number().int().min(1).max(65535),
  /** Host port; undefined publishes on a free port. */
  published: z.number().int().min(0).max(65535).optional(),
  hostIp: z.string().optional(),
  protocol: z.enum(["tcp", "udp"]).default("tcp"),
});
export type ComposePort = z.infer<typeof ComposePort>;

export const ComposeMount = z.discriminatedUnion("type", [
  z.object({ type: z.literal("volume"), source: z.string().optional(), target: z.string(), readOnly: z.boolean().default(false), noCopy: z.boolean().default(false) }),
  z.object({ type: z.literal("bind"), source: z.string(), target: z.string(), readOnly: z.boolean().default(false), createHostPath: z.boolean().default(true) }),
  z.object({ type: z.literal("tmpfs"), target: z.string(), size: z.number().int().optional(), mode: z.number().int().optional() }),
]);
export type ComposeMount = z.infer<typeof ComposeMount>;

export const DependsOn = z.object({
  condition: z.enum(["service_started", "service_healthy", "service_completed_successfully"]).default("service_started"),
  required: z.boolean().default(true),
  restart: z.boolean().default(false),
});
export type DependsOn = z.infer<typeof DependsOn>;

export const Healthcheck = z.object({
  /** ["CMD", ...] or ["CMD-SHELL", "..."]; ["NONE"] disables the image's own. */
  test: z.array(z.string()),
  intervalMs: z.number().int().positive().default(30_000),
  timeoutMs: z.number().int().positive().default(30_000),
  retries: z.number().int().min(0).default(3),
  startPeriodMs: z.number().int().min(0).default(0),
  startIntervalMs: z.number().int().positive().default(5_000),
});
export type Healthcheck = z.infer<typeof Healthcheck>;

export const ComposeService = z.object({
  name: z.string(),
  image: z.string().optional(),
  build: z
    .object({
      context: z.string(),
      dockerfile: z.string().default("Dockerfile"),
      args: z.record(z.string(), z.string()).default({}),
      target: z.string().optional(),
      labels: z.record(z.string(), z.string()).default({}),
      network: z.string().optional(),
    })
    .optional(),
  pullPolicy: z.enum(["always", "missing", "never", "build"]).optional(),
  command: z.array(z.string()).optional(),
  entrypoint: z.array(z.string()).optional(),
  /** A name listed without a value takes it from where the stack was loaded, or is left out. */
  environment: z.record(z.string(), z.string()).default({}),
  ports: z.array(ComposePort).default([]),
  expose: z.array(z.string()).default([]),
  volumes: z.array(ComposeMount).default([]),
  networks: z.record(z.string(), z.object({ aliases: z.array(z.string()).default([]) })).default({}),
  networkMode: z.literal("none").optional(),
  dependsOn: z.record(z.string(), DependsOn).default({}),
  healthcheck: Healthcheck.optional(),
  healthcheckDisabled: z.boolean().default(false),
  restart: z.enum(["no", "always", "on-failure", "unless-stopped"]).optional(),
  restartMaxRetries: z.number().int().min(0).optional(),
  user: z.string().optional(),
  workingDir: z.string().optional(),
  labels: z.record(z.string(), z.string()).default({}),
  init: z.boolean().optional(),
  hostname: z.string().optional(),
  stopSignal: z.string().optional(),
  stopGracePeriodSec: z.number().int().min(0).optional(),
  capAdd: z.array(z.string()).default([]),
  capDrop: z.array(z.string()).default([]),
  /** extra_hosts; absent (not empty) when the file has none, so older stacks' config hashes stay. */
  extraHosts: z.array(ExtraHost).optional(),
  readOnly: z.boolean().default(false),
  tty: z.boolean().default(false),
  stdinOpen: z.boolean().default(false),
  limits: z.object({ memory: z.number().int().optional(), memorySwap: z.number().int().optional(), cpus: z.number().optional(), pids: z.number().int().optional() }).default({}),
  replicas: z.number().int().min(0).default(1),
  profiles: z.array(z.string()).default([]),
});
export type ComposeService = z.infer<typeof ComposeService>;

export const ComposeNetwork = z.object({ name: z.string().optional(), external: z.boolean().default(false), labels: z.record(z.string(), z.string()).default({}) });
export const ComposeVolume = z.object({ name: z.string().optional(), external: z.boolean().default(false), labels: z.record(z.string(), z.string()).default({}) });

export const ComposeWarning = z.object({ where: z.string(), key: z.string(), message: z.string() });
export type ComposeWarning = z.infer<typeof ComposeWarning>;

export const ComposeProject = z.object({
  name: z.string(),
  workingDir: z.string(),
  services: z.record(z.string(), ComposeService),
  networks: z.record(z.string(), ComposeNetwork),
  volumes: z.record(z.string(), ComposeVolume),
  warnings: z.array(ComposeWarning).default([]),
  /** `x-berth: {freeze_after}`: frozen (cgroup freezer) after this long with no request to its port links; 0: never; none: the team's setting. */
  freezeAfterMs: z.number().int().min(0).optional(),
});
export type ComposeProject = z.infer<typeof ComposeProject>;
