import { ContainerOptions, effectiveHealth, JOB, overrideEnv, type HealthState, type ImageConfig, type ImageInspectResult } from "@berth/core";
import type { Db } from "@berth/core/db";
import type { Services } from "../services.js";
import { runHostJob } from "../images/jobs.js";

const ZERO_TIME = "0001-01-01T00:00:00Z";

/** Docker's State.Status. */
function status(state: string, paused: boolean): string {
  if (state === "running") return paused ? "paused" : "running";
  return state === "exited" || state === "restarting" ? state : "created";
}

/**
 * `docker inspect`'s JSON for one container (the subset Berth has: no NetworkSettings or Mounts
 * yet). Path and Args are what ran: the image's entrypoint + (the given command or the image's).
 */
export function dockerContainerInspect(c: Db.Container & { runtime?: Db.ContainerRuntime | null }, image: ImageConfig["config"] | undefined, health?: HealthState): Record<string, unknown> {
  let cmd: string[] = [];
  try {
    const v: unknown = JSON.parse(c.cmd);
    if (Array.isArray(v)) cmd = v.map(String);
  } catch {
    /* stored by us: always JSON */
  }
  const opts = ContainerOptions.parse(JSON.parse(c.options || "{}"));
  // --entrypoint replaces the image's ENTRYPOINT and drops its CMD (Docker).
  const entrypoint = opts.entrypoint ?? image?.Entrypoint ?? [];
  const effectiveCmd = cmd.length ? cmd : opts.entrypoint !== undefined ? [] : (image?.Cmd ?? []);
  const argv = [...entrypoint, ...effectiveCmd];
  const running = c.state === "running";
  const paused = c.runtime?.paused ?? false;
  const env = overrideEnv(image?.Env ?? [], opts.env ?? []);
  return {
    Id: c.id,
    Created: c.createdAt.toISOString(),
    Path: argv[0] ?? "",
    Args: argv.slice(1),
    State: {
      Status: status(c.state, paused),
      Running: running,
      Paused: running && paused,
      Restarting: c.state === "restarting",
      OOMKilled: c.oomKilled,
      Dead: false,
      Pid: running ? (c.pid ?? 0) : 0,
      ExitCode: c.exitCode ?? 0,
      Error: c.error ?? "",
      StartedAt: c.startedAt?.toISOString() ?? ZERO_TIME,
      FinishedAt: c.finishedAt?.toISOString() ?? ZERO_TIME,
      ...(health ? { Health: health } : {}),
    },
    Image: c.imageId,
    Name: `/${c.name}`,
    RestartCount: c.runtime?.restartCount ?? 0,
    HostConfig: {
      Memory: opts.memory ?? 0,
      MemorySwap: opts.memorySwap ?? 0,
      NanoCpus: opts.cpus !== undefined ? Math.round(opts.cpus * 1e9) : 0,
      PidsLimit: opts.pidsLimit ?? null,
      CapAdd: opts.capAdd.length ? opts.capAdd : null,
      CapDrop: opts.capDrop.length ? opts.capDrop : null,
      ReadonlyRootfs: opts.readOnly,
      Init: opts.init,
      ExtraHosts: opts.extraHosts?.length ? opts.extraHosts.map((h) => `${h.host}:${h.ip}`) : null,
      AutoRemove: c.autoRemove,
      RestartPolicy: { Name: opts.restart?.name ?? "no", MaximumRetryCount: opts.restart?.maximumRetryCount ?? 0 },
    },
    Config: {
      Hostname: opts.hostname ?? c.id.slice(0, 12),
      User: opts.user ?? image?.User ?? "",
      Tty: opts.tty,
      OpenStdin: opts.interactive,
      Env: env.length ? env : null,
      Cmd: effectiveCmd.length ? effectiveCmd : null,
      Image: c.imageRef,
      WorkingDir: opts.workdir ?? (image as { WorkingDir?: string } | undefined)?.WorkingDir ?? "",
      Entrypoint: entrypoint.length ? entrypoint : null,
      Labels: opts.labels ?? {},
      ...(opts.stopSignal !== undefined ? { StopSignal: opts.stopSignal } : (image as { StopSignal?: string } | undefined)?.StopSignal ? { StopSignal: (image as { StopSignal?: string }).StopSignal } : {}),
      ...(opts.stopTimeout !== undefined ? { StopTimeout: opts.stopTimeout } : {}),
      ...healthcheckConfig(image, opts),
    },
  };
}

/** Config.Healthcheck as Docker shows it: the check the container runs, durations in nanoseconds. */
function healthcheckConfig(image: ImageConfig["config"] | undefined, opts: ContainerOptions): Record<string, unknown> {
  if (opts.noHealthcheck) return { Healthcheck: { Test: ["NONE"] } };
  const h = effectiveHealth(image?.Healthcheck, opts.healthcheck);
  if (!h) return {};
  const ns = (ms: number) => ms * 1e6;
  return { Healthcheck: { Test: h.test, Interval: ns(h.intervalMs), Timeout: ns(h.timeoutMs), StartPeriod: ns(h.startPeriodMs), StartInterval: ns(h.startIntervalMs), Retries: h.retries } };
}

/** The image's run config, read by the container's host (web never reads the store); undefined if that fails. */
export async function imageRunConfig(s: Services, c: Db.Container): Promise<ImageConfig["config"] | undefined> {
  try {
    const r = await runHostJob<ImageInspectResult>(s, JOB.imageInspect, { imageId: c.imageId }, { hostId: c.hostId, timeoutMs: 15_000 });
    return (r.config as ImageConfig).config;
  } catch (err) {
    s.log.warn({ err: (err as Error).message, id: c.id }, "inspect: could not read the image config");
    return undefined;
  }
}

