import type { Db } from "@berth/core/db";

export type ContainerState = "created" | "running" | "restarting" | "exited";

export interface ContainerSummary {
  id: string;
  name: string;
  /** The reference the user ran ("busybox:latest"). */
  image: string;
  imageId: string;
  /** Empty means "the image's default command". */
  cmd: string[];
  state: ContainerState;
  exitCode: number | null;
  /** Killed by the kernel for exceeding its memory limit (Docker's State.OOMKilled). */
  oomKilled: boolean;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Frozen by `pause` (state stays running, as Docker's State.Running). */
  paused: boolean;
  restartCount: number;
  labels: Record<string, string>;
  /** Publishes ports (-p or -P): `ps` asks inspect for the bound ones. */
  publishes: boolean;
  /** What runs: the entrypoint and command, the image's where none was given (Docker's COMMAND); set by `list`. */
  command?: string[];
  /** Set for a running container with a health check (Docker's "(healthy)" in ps); set by `list`. */
  health?: "starting" | "healthy" | "unhealthy";
}

function optionsOf(options: string): { labels?: unknown; publish?: unknown; publishAll?: unknown } {
  try {
    const v: unknown = JSON.parse(options);
    return v && typeof v === "object" ? v : {};
  } catch {
    return {};
  }
}

function labelsOf(options: string): Record<string, string> {
  const v = optionsOf(options).labels;
  return v && typeof v === "object" ? (v as Record<string, string>) : {};
}

function publishes(options: string): boolean {
  const o = optionsOf(options);
  return (Array.isArray(o.publish) && o.publish.length > 0) || o.publishAll === true;
}

function parseCmd(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}

/** A row with its lifecycle state (ContainerRuntime), when read with `include: { runtime: true }`. */
export type ContainerWithRuntime = Db.Container & { runtime?: Db.ContainerRuntime | null };

export function toSummary(c: ContainerWithRuntime): ContainerSummary {
  return {
    id: c.id,
    name: c.name,
    image: c.imageRef,
    imageId: c.imageId,
    cmd: parseCmd(c.cmd),
    state: c.state as ContainerState,
    exitCode: c.exitCode,
    oomKilled: c.oomKilled,
    error: c.error,
    createdAt: c.createdAt.toISOString(),
    startedAt: c.startedAt?.toISOString() ?? null,
    finishedAt: c.finishedAt?.toISOString() ?? null,
    paused: c.runtime?.paused ?? false,
    restartCount: c.runtime?.restartCount ?? 0,
    labels: labelsOf(c.options),
    publishes: publishes(c.options),
  };
}
