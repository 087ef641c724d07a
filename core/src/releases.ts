import { z } from "zod";

/**
 * Environments and releases (issue 17): the contract web, the worker, the CLI and the dashboard
 * share. A release names every service's image by digest, so promotion deploys exactly what the
 * source environment ran, with the target's own config.
 */

/** An environment's name: a DNS label without "--" (it sits in `env--<name>--<project>--<team>`). */
export const EnvironmentName = z
  .string()
  .min(1)
  .max(30)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, "use lowercase letters, digits and single dashes (staging, production, eu-prod)")
  .refine((n) => !n.includes("--"), "an environment's name cannot hold \"--\"");

/** The environments a new project gets, in pipeline order (previews come before them all). */
export const DEFAULT_ENVIRONMENTS = [
  { name: "staging", position: 1, followsDefaultBranch: true },
  { name: "production", position: 2, followsDefaultBranch: false },
] as const;

/**
 * What "healthy" means for a release's web service before traffic moves to it, and during the
 * watch window after. Timing as Compose's healthcheck defines it (interval, timeout, retries,
 * start period). With no check configured a release uses `{ kind: "http", path: "/" }` with any
 * status: the service must answer HTTP on its port (a bound port alone is not healthy).
 */
export const ReleaseHealth = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("http"),
    path: z.string().startsWith("/", "a health path starts with /"),
    /** The status wanted; absent: any 2xx or 3xx (any answer at all when the check is the default). */
    status: z.number().int().min(100).max(599).optional(),
  }),
  /** A command run inside the new container (exit 0: healthy), as Compose's `test`. */
  z.object({ kind: z.literal("command"), test: z.array(z.string()).min(1) }),
  /** The image's own HEALTHCHECK (or the service's compose `healthcheck:`). */
  z.object({ kind: z.literal("image") }),
]).and(
  z.object({
    intervalMs: z.number().int().min(100).max(3_600_000).default(1_000),
    timeoutMs: z.number().int().min(100).max(3_600_000).default(5_000),
    retries: z.number().int().min(1).max(1_000).default(3),
    /** Failures in this time do not count (the app may still be starting). */
    startPeriodMs: z.number().int().min(0).max(3_600_000).default(60_000),
    /** The "any answer" default: no check was configured. */
    implicit: z.boolean().default(false),
  }),
);
export type ReleaseHealth = z.infer<typeof ReleaseHealth>;

/** `{ service: "sha256:<64 hex>" }`: a release's images. */
export const ReleaseImages = z.record(z.string(), z.string().regex(/^sha256:[0-9a-f]{64}$/, "an image digest is sha256:<64 hex>"));
export type ReleaseImages = z.infer<typeof ReleaseImages>;

export const RELEASE_STATES = ["pending", "deploying", "live", "failed", "superseded", "rolled-back"] as const;
export type ReleaseState = (typeof RELEASE_STATES)[number];

/** How many of an environment's latest releases keep their images from garbage collection. */
export const PROTECTED_RELEASES = 5;
