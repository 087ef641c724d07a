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
}

function labelsOf(options: string): Record<string, string> {
  try {
    const v = (JSON.parse(options) as { labels?: unknown }).labels;
    return v && typeof v === "object" ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
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
  };
}
