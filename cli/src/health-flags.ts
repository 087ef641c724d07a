/** `run`/`create`'s health check flags, as Docker's (durations Go-style: 30s, 1m30s). */
export interface HealthFlags {
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthRetries?: string;
  healthStartPeriod?: string;
  healthStartInterval?: string;
  /** commander sets `healthcheck: false` for `--no-healthcheck` */
  healthcheck?: boolean;
}

/** The flags as ContainerOptions' healthcheck fields; nothing at all (and no core loaded) without one. */
export async function healthOptions(f: HealthFlags): Promise<{ healthcheck?: Record<string, unknown>; noHealthcheck?: true }> {
  const durations = [
    ["--health-interval", f.healthInterval, "intervalMs"],
    ["--health-timeout", f.healthTimeout, "timeoutMs"],
    ["--health-start-period", f.healthStartPeriod, "startPeriodMs"],
    ["--health-start-interval", f.healthStartInterval, "startIntervalMs"],
  ] as const;
  const any = f.healthCmd !== undefined || f.healthRetries !== undefined || durations.some(([, v]) => v !== undefined);
  const { CliError } = await import("./errors.js");
  if (f.healthcheck === false) {
    if (any) throw new CliError("USAGE", "--no-healthcheck conflicts with --health-* options");
    return { noHealthcheck: true };
  }
  if (!any) return {};
  const { parseDuration } = await import("@berth/core");
  const h: Record<string, unknown> = {};
  if (f.healthCmd !== undefined) h.test = ["CMD-SHELL", f.healthCmd];
  for (const [flag, v, key] of durations) {
    if (v === undefined) continue;
    try {
      const ms = parseDuration(v, flag);
      if (ms <= 0 && key !== "startPeriodMs") throw new Error(`${flag}: "${v}" must be more than 0`);
      h[key] = ms;
    } catch (e) {
      throw new CliError("USAGE", `invalid value for ${(e as Error).message}`);
    }
  }
  if (f.healthRetries !== undefined) {
    const n = Number(f.healthRetries);
    if (!Number.isInteger(n) || n < 0) throw new CliError("USAGE", `invalid value "${f.healthRetries}" for --health-retries: expected a whole number`);
    h.retries = n;
  }
  return { healthcheck: h };
}
