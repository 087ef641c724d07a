import { z } from "zod";
import { ContainerOptions, FailedPrecondition, NotFound } from "@berth/core";
import { router, teamProcedure } from "../trpc.js";
import { toSummary, type ContainerSummary } from "../containers/summary.js";
import { findContainer, isFullContainerId } from "../containers/resolve.js";
import { CONTAINER_NAME, runContainer } from "../containers/run.js";
import { readLogs, streamExists } from "../containers/logs.js";
import { killContainer, removeContainer, renameContainer, restartContainer, startContainer, stopContainer, waitContainer } from "../containers/lifecycle.js";
import { dockerContainerInspect, imageRunConfig } from "../containers/inspect.js";
import { runtimeProcedures } from "../containers/runtime-ops.js";
import { containerNetworkInspect, withNetwork } from "../networks/jobs.js";
import { removeAnonymousVolumes, withMounts } from "../volumes/service.js";
import { containerChanges, containerListDir } from "../containers/fs.js";
import { containerCommands } from "../containers/command.js";
import { readHealth } from "../containers/health.js";
import { lastDieOf } from "../events/recent.js";

const ContainerRef = z.string().trim().min(1, "container id or name is required").max(256);

/** What run and create take: Docker's `run` arguments. */
export const RunInput = z.object({
  image: z.string().trim().min(1, "image is required").max(512),
  cmd: z.array(z.string().max(64 * 1024)).max(4096).optional(),
  name: z.string().max(128).regex(CONTAINER_NAME, "only [a-zA-Z0-9][a-zA-Z0-9_.-]* are allowed").optional(),
  autoRemove: z.boolean().optional(),
  options: ContainerOptions.optional(),
  /** `run -d`: start at once, without waiting for an attach. */
  detach: z.boolean().optional(),
});

export const containerRouter = router({
  run: teamProcedure("container.run")
    .input(RunInput)
    .mutation(({ ctx, input }) => runContainer(ctx.services, ctx.actor, input)),

  /** As run, but nothing starts until `start`. */
  create: teamProcedure("container.run")
    .input(RunInput)
    .mutation(({ ctx, input }) => runContainer(ctx.services, ctx.actor, { ...input, start: false })),

  list: teamProcedure("container.read")
    .input(z.object({ all: z.boolean().optional() }).optional())
    .query(async ({ ctx, input }): Promise<ContainerSummary[]> => {
      const teamId = ctx.actor.team.id;
      const rows = await ctx.services.db.container.findMany({
        where: input?.all ? { teamId } : { teamId, state: { in: ["created", "running", "restarting"] } },
        orderBy: [{ createdAt: "desc" }, { id: "asc" }],
        include: { runtime: true },
      });
      const commands = await containerCommands(ctx.services, rows);
      const health = await readHealth(ctx.services.redis, rows.filter((r) => r.state === "running").map((r) => r.id));
      return rows.map((r) => {
        const h = health.get(r.id)?.Status;
        return { ...toSummary(r), command: commands.get(r.id) ?? [], ...(h ? { health: h } : {}) };
      });
    }),

  byId: teamProcedure("container.read").input(z.object({ id: ContainerRef })).query(async ({ ctx, input }): Promise<ContainerSummary> => {
    const c = await findContainer(ctx.services.db, ctx.actor.team.id, input.id);
    if (!c) throw new NotFound(`No such container: ${input.id}`);
    return toSummary(c);
  }),

  /** How an auto-removed container ended (its row is gone with it): `run -d --rm` whose start failed names the reason. */
  removedExit: teamProcedure("container.read")
    .input(z.object({ id: z.string().regex(/^[0-9a-f]{64}$/, "a full container id") }))
    .query(async ({ ctx, input }) => {
      if (await findContainer(ctx.services.db, ctx.actor.team.id, input.id)) throw new FailedPrecondition(`container ${input.id.slice(0, 12)} is not removed: inspect it instead`);
      const exit = await lastDieOf(ctx.services, ctx.actor.team.id, input.id);
      if (!exit) throw new NotFound(`No such container: ${input.id} (no exit of it is kept)`);
      return exit;
    }),

  logs: teamProcedure("container.logs")
    .input(z.object({ id: ContainerRef, tail: z.number().int().min(0).max(100_000).optional() }))
    .query(async ({ ctx, input }) => {
      const { db, redis } = ctx.services;
      const c = await findContainer(db, ctx.actor.team.id, input.id);
      // An auto-removed container's row is gone, but its stream lingers: a full id still reads it
      // (the stream names no team, so only the site admin may read one without its row).
      const id = c?.id ?? (ctx.actor.siteAdmin && isFullContainerId(input.id) && (await streamExists(redis, input.id)) ? input.id : undefined);
      if (!id) throw new NotFound(`No such container: ${input.id}`);
      const out = await readLogs(redis, id, input.tail);
      return { entries: out.entries, done: out.done || c?.state === "exited" };
    }),

  stop: teamProcedure("container.manage")
    .input(z.object({ id: ContainerRef, timeoutSec: z.number().int().min(0).max(3600).optional() }))
    .mutation(({ ctx, input }) => stopContainer(ctx.services, ctx.actor.team.id, input.id, input.timeoutSec)),

  kill: teamProcedure("container.manage")
    .input(z.object({ id: ContainerRef, signal: z.string().trim().min(1).max(16).default("KILL") }))
    .mutation(({ ctx, input }) => killContainer(ctx.services, ctx.actor.team.id, input.id, input.signal)),

  remove: teamProcedure("container.manage")
    .input(z.object({ id: ContainerRef, force: z.boolean().default(false), volumes: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      // rm -v: the anonymous volumes go after the container (named ones stay, as docker).
      const c = input.volumes ? await findContainer(ctx.services.db, ctx.actor.team.id, input.id) : null;
      await removeContainer(ctx.services, ctx.actor.team.id, input.id, input.force);
      if (c) await removeAnonymousVolumes(ctx.services, c);
    }),

  start: teamProcedure("container.manage").input(z.object({ id: ContainerRef })).mutation(({ ctx, input }) => startContainer(ctx.services, ctx.actor.team.id, input.id)),

  restart: teamProcedure("container.manage")
    .input(z.object({ id: ContainerRef, timeoutSec: z.number().int().min(0).max(3600).optional() }))
    .mutation(({ ctx, input }) => restartContainer(ctx.services, ctx.actor.team.id, input.id, input.timeoutSec)),

  wait: teamProcedure("container.read").input(z.object({ id: ContainerRef })).query(({ ctx, input }) => waitContainer(ctx.services, ctx.actor.team.id, input.id)),

  rename: teamProcedure("container.manage")
    .input(z.object({ id: ContainerRef, name: z.string().trim().min(1).max(128) }))
    .mutation(({ ctx, input }) => renameContainer(ctx.services, ctx.actor.team.id, input.id, input.name)),

  inspect: teamProcedure("container.read").input(z.object({ id: ContainerRef })).query(async ({ ctx, input }) => {
    const c = await findContainer(ctx.services.db, ctx.actor.team.id, input.id);
    if (!c) throw new NotFound(`No such container: ${input.id}`);
    const runtime = await ctx.services.db.containerRuntime.findUnique({ where: { containerId: c.id } });
    const health = c.state === "running" || c.state === "exited" ? (await readHealth(ctx.services.redis, [c.id])).get(c.id) : undefined;
    const inspect = withNetwork(dockerContainerInspect({ ...c, runtime }, await imageRunConfig(ctx.services, c), health), await containerNetworkInspect(ctx.services, c));
    return withMounts(ctx.services, c, inspect);
  }),

  ...runtimeProcedures,

  /** `diff`: A/C/D changes of the container's filesystem. */
  changes: teamProcedure("container.read").input(z.object({ id: ContainerRef })).query(({ ctx, input }) => containerChanges(ctx.services, ctx.actor.team.id, input.id)),

  /** The dashboard's file browser: one directory's entries. Reading files is cp's power, so listing them is too. */
  listDir: teamProcedure("container.cp")
    .input(z.object({ id: ContainerRef, path: z.string().min(1).max(4096).default("/") }))
    .query(({ ctx, input }) => containerListDir(ctx.services, ctx.actor.team.id, input.id, input.path)),
});
