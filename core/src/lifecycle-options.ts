import { z } from "zod";

/** Docker's `--restart` policy names. */
export const RestartPolicyName = z.enum(["no", "on-failure", "always", "unless-stopped"]);
export type RestartPolicyName = z.infer<typeof RestartPolicyName>;

/** `--restart no|on-failure[:N]|always|unless-stopped`, as inspect's HostConfig.RestartPolicy says it. */
export const RestartPolicy = z
  .object({
    name: RestartPolicyName,
    /** on-failure only: at most this many restarts; 0 = no limit (Docker). */
    maximumRetryCount: z.number().int().min(0).max(1_000_000).default(0),
  })
  .strict()
  .refine((p) => p.name === "on-failure" || p.maximumRetryCount === 0, "a maximum retry count is only valid with on-failure");
export type RestartPolicy = z.infer<typeof RestartPolicy>;

const EnvEntry = z
  .string()
  .max(128 * 1024)
  .regex(/^[^=\0]+=/, "an environment entry is KEY=VALUE");

/**
 * The process and lifecycle part of `berth run`/`create`: environment, working directory,
 * entrypoint, labels, hostname, restart policy, stop signal and timeout. Merged into
 * ContainerOptions; read by the worker (spec and restart policy) and by inspect.
 */
export const LifecycleOptions = z.object({
  /** `-e KEY=VAL`, `--env-file`: appended to the image's Env, same keys replaced. */
  env: z.array(EnvEntry).max(10_000).optional(),
  /** `-w`: absolute; created if missing, as Docker does. */
  workdir: z.string().max(4096).regex(/^\//, "the working directory must be an absolute path").optional(),
  /** `--entrypoint`: replaces the image's ENTRYPOINT and drops its CMD; [] clears it (`--entrypoint ""`). */
  entrypoint: z.array(z.string().max(64 * 1024)).max(4096).optional(),
  /** `-l k=v`, `--label-file`. */
  labels: z.record(z.string().min(1).max(1024), z.string().max(64 * 1024)).optional(),
  /** `-h`: the container's hostname (default: its short id). */
  hostname: z
    .string()
    .max(253)
    .regex(/^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/, "a hostname is letters, digits, '-' and '.'")
    .optional(),
  restart: RestartPolicy.optional(),
  /** `--stop-signal`: as typed ("SIGTERM", "TERM", "15"). */
  stopSignal: z.string().max(16).regex(/^(SIG)?[A-Z0-9+-]+$|^\d+$/i, "a signal name such as SIGTERM, or a number").optional(),
  /** `--stop-timeout`: seconds stop waits before SIGKILL (default 10). */
  stopTimeout: z.number().int().min(0).max(3600).optional(),
});
export type LifecycleOptions = z.infer<typeof LifecycleOptions>;

/** Docker's `--restart` syntax → a policy; throws with a message naming the flag. */
export function parseRestartPolicy(text: string): RestartPolicy {
  const [name = "", count, extra] = text.trim().split(":");
  if (extra !== undefined) throw new Error(`invalid restart policy "${text}": use no, on-failure[:max-retries], always or unless-stopped`);
  const parsed = RestartPolicyName.safeParse(name);
  if (!parsed.success) throw new Error(`invalid restart policy "${text}": use no, on-failure[:max-retries], always or unless-stopped`);
  if (count === undefined) return { name: parsed.data, maximumRetryCount: 0 };
  if (parsed.data !== "on-failure") throw new Error(`invalid restart policy "${text}": maximum retry count cannot be used with restart policy '${parsed.data}'`);
  if (!/^\d+$/.test(count)) throw new Error(`invalid restart policy "${text}": maximum retry count must be a whole number`);
  return { name: "on-failure", maximumRetryCount: Number(count) };
}

/** Docker's restart-policy test, given how the container ended. */
export function shouldRestart(
  policy: RestartPolicy | undefined,
  end: { exitCode: number | null; restartCount: number; manuallyStopped: boolean; daemonStart?: boolean },
): boolean {
  switch (policy?.name ?? "no") {
    case "always":
      // A manual stop holds until the daemon (worker) starts again: then `always` comes back.
      return !end.manuallyStopped || !!end.daemonStart;
    case "unless-stopped":
      return !end.manuallyStopped;
    case "on-failure": {
      if (end.manuallyStopped || end.exitCode === 0) return false;
      const max = policy?.maximumRetryCount ?? 0;
      return max === 0 || end.restartCount < max;
    }
    default:
      return false;
  }
}

/** Docker's restart backoff: 100 ms, doubling, capped at a minute; back to 100 ms after a run of 10 s or more. */
export const RESTART_BACKOFF = { initialMs: 100, maxMs: 60_000, resetAfterMs: 10_000 } as const;
export function nextRestartDelay(previousMs: number, ranMs: number): number {
  if (previousMs <= 0 || ranMs >= RESTART_BACKOFF.resetAfterMs) return RESTART_BACKOFF.initialMs;
  return Math.min(previousMs * 2, RESTART_BACKOFF.maxMs);
}
