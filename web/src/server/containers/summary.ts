import type { Db } from "@berth/core/db";

export type ContainerState = "created" | "running" | "exited";

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
}

function parseCmd(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}

export function toSummary(c: Db.Container): ContainerSummary {
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
  };
}
