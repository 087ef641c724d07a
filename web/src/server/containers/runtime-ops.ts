import { z } from "zod";
import {
  FailedPrecondition,
  JOB_RUNTIME,
  type ContainerPauseJob,
  type ContainerStatsJob,
  type ContainerStatsSample,
  type ContainerTopJob,
  type ContainerTopResult,
} from "@berth/core";
import type { Db } from "@berth/core/db";
import { teamProcedure } from "../trpc.js";
import type { Services } from "../services.js";
import { runHostJob } from "../images/jobs.js";
import { resolveContainer } from "./resolve.js";

const ContainerRef = z.string().trim().min(1, "container id or name is required").max(256);

/** `pause` / `unpause` through the container's host (cgroup freezer). */
async function setPaused(s: Services, teamId: string, ref: string, paused: boolean): Promise<void> {
  const c = await resolveContainer(s.db, teamId, ref);
  if (c.state !== "running") throw new FailedPrecondition(`Container ${c.id} is not running`);
  const isPaused = (await s.db.containerRuntime.findUnique({ where: { containerId: c.id } }))?.paused ?? false;
  if (paused && isPaused) throw new FailedPrecondition(`Container ${c.id} is already paused`);
  if (!paused && !isPaused) throw new FailedPrecondition(`Container ${c.id} is not paused`);
  const payload: ContainerPauseJob = { containerId: c.id, paused };
  await runHostJob(s, JOB_RUNTIME.containerPause, payload, { hostId: c.hostId, timeoutMs: 30_000 });
}

async function top(s: Services, teamId: string, ref: string, psArgs: string[], ifRunning: boolean): Promise<ContainerTopResult> {
  const c = await resolveContainer(s.db, teamId, ref);
  // The dashboard polls a container it saw running: one that has just stopped has no processes, not an error.
  if (c.state !== "running" && ifRunning) return { titles: [], processes: [] };
  if (c.state !== "running") throw new FailedPrecondition(`Container ${c.id} is not running`);
  const payload: ContainerTopJob = { containerId: c.id, psArgs };
  return runHostJob<ContainerTopResult>(s, JOB_RUNTIME.containerTop, payload, { hostId: c.hostId, timeoutMs: 30_000 });
}

export interface StatsRow extends ContainerStatsSample {
  name: string;
}

/** One sample per container, asked of each container's host; none named: the running ones (all with `all`). */
async function stats(s: Services, teamId: string, refs: string[], all: boolean): Promise<StatsRow[]> {
  const rows: Db.Container[] = refs.length
    ? await Promise.all(refs.map((r) => resolveContainer(s.db, teamId, r)))
    : await s.db.container.findMany({ where: all ? { teamId } : { teamId, state: "running" }, orderBy: [{ createdAt: "desc" }, { id: "asc" }] });
  const byHost = new Map<string, Db.Container[]>();
  for (const c of rows) byHost.set(c.hostId, [...(byHost.get(c.hostId) ?? []), c]);
  const samples = new Map<string, ContainerStatsSample>();
  await Promise.all(
    [...byHost].map(async ([hostId, cs]) => {
      const payload: ContainerStatsJob = { containerIds: cs.map((c) => c.id) };
      for (const x of await runHostJob<ContainerStatsSample[]>(s, JOB_RUNTIME.containerStats, payload, { hostId, timeoutMs: 30_000 })) samples.set(x.id, x);
    }),
  );
  return rows.map((c) => ({ ...samples.get(c.id)!, id: c.id, name: c.name }));
}

/** Procedures merged into the container router. */
export const runtimeProcedures = {
  pause: teamProcedure("container.manage").input(z.object({ id: ContainerRef })).mutation(({ ctx, input }) => setPaused(ctx.services, ctx.actor.team.id, input.id, true)),
  unpause: teamProcedure("container.manage").input(z.object({ id: ContainerRef })).mutation(({ ctx, input }) => setPaused(ctx.services, ctx.actor.team.id, input.id, false)),
  top: teamProcedure("container.read")
    .input(z.object({ id: ContainerRef, psArgs: z.array(z.string().max(256)).max(64).default([]), ifRunning: z.boolean().default(false) }))
    .query(({ ctx, input }) => top(ctx.services, ctx.actor.team.id, input.id, input.psArgs, input.ifRunning)),
  stats: teamProcedure("container.read")
    .input(z.object({ ids: z.array(ContainerRef).max(1000).default([]), all: z.boolean().default(false) }))
    .query(({ ctx, input }) => stats(ctx.services, ctx.actor.team.id, input.ids, input.all)),
};
