import { z } from "zod";

/**
 * Container health checks as Docker runs them: a command run inside the container every
 * interval; `retries` failures in a row make it unhealthy, one success healthy. Failures within
 * the start period don't count, and probes run every `startInterval` there. Settings come from
 * the image's HEALTHCHECK and are overridden field by field by `run --health-*` (or a stack's
 * `healthcheck:`).
 */
export const HealthOptions = z
  .object({
    /** ["CMD", arg…] or ["CMD-SHELL", "command"]; ["NONE"] turns the image's check off. */
    test: z.array(z.string().max(64 * 1024)).min(1).max(4096).optional(),
    intervalMs: z.number().int().min(1).max(86_400_000).optional(),
    timeoutMs: z.number().int().min(1).max(86_400_000).optional(),
    startPeriodMs: z.number().int().min(0).max(86_400_000).optional(),
    startIntervalMs: z.number().int().min(1).max(86_400_000).optional(),
    retries: z.number().int().min(0).max(1_000_000).optional(),
  })
  .strict();
export type HealthOptions = z.infer<typeof HealthOptions>;

export interface HealthSettings {
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  startIntervalMs: number;
  retries: number;
}

/** Docker's defaults for what neither the image nor the run set. */
export const HEALTH_DEFAULTS = { intervalMs: 30_000, timeoutMs: 30_000, startPeriodMs: 0, startIntervalMs: 5_000, retries: 3 } as const;

/** The image config's Healthcheck as Docker writes it (durations in nanoseconds). */
export interface ImageHealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

const fromNs = (ns: number | undefined) => (ns ? Math.max(1, Math.round(ns / 1e6)) : undefined);

/** What a container runs: none when neither sets a test, or the test is NONE, or `--no-healthcheck`. */
export function effectiveHealth(image: ImageHealthConfig | undefined, run: HealthOptions | undefined, disabled = false): HealthSettings | undefined {
  if (disabled) return undefined;
  const test = run?.test ?? image?.Test;
  if (!test?.length || test[0] === "NONE") return undefined;
  const pick = <K extends keyof typeof HEALTH_DEFAULTS>(k: K, fromImage: number | undefined): number => run?.[k] ?? fromImage ?? HEALTH_DEFAULTS[k];
  return {
    test,
    intervalMs: pick("intervalMs", fromNs(image?.Interval)),
    timeoutMs: pick("timeoutMs", fromNs(image?.Timeout)),
    startPeriodMs: pick("startPeriodMs", fromNs(image?.StartPeriod)),
    startIntervalMs: pick("startIntervalMs", fromNs(image?.StartInterval)),
    retries: pick("retries", image?.Retries || undefined),
  };
}

/** The argv a probe runs: CMD's arguments as given, CMD-SHELL's through /bin/sh -c. */
export function probeArgv(test: string[]): string[] {
  const [kind, ...rest] = test;
  if (kind === "CMD-SHELL") return ["/bin/sh", "-c", rest.join(" ")];
  if (kind === "CMD") return rest;
  // A bare list (no CMD prefix) is taken as CMD, as the Engine API does.
  return test;
}

export type HealthStatus = "starting" | "healthy" | "unhealthy";

/** Docker's State.Health: the status, the failing streak and the last five probes. */
export interface HealthState {
  Status: HealthStatus;
  FailingStreak: number;
  Log: { Start: string; End: string; ExitCode: number; Output: string }[];
}

/** Where the worker keeps a container's health (Redis): web reads it for ps and inspect. */
export const healthKey = (containerId: string) => `health:${containerId}`;
/** Kept this long after the container stops, so inspect still shows the last state. */
export const HEALTH_TTL_SECONDS = 7 * 24 * 3600;
export const HEALTH_LOG_ENTRIES = 5;
/** Output kept per probe, as Docker does. */
export const HEALTH_OUTPUT_BYTES = 4096;
