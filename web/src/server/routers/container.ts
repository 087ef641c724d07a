import { z } from "zod";
import { ContainerOptions, NotFound } from "@berth/core";
import { router, protectedProcedure, mutatingProcedure } from "../trpc.js";
import { toSummary, type ContainerSummary } from "../containers/summary.js";
import { findContainer, isFullContainerId } from "../containers/resolve.js";
import { CONTAINER_NAME, runContainer } from "../containers/run.js";
import { readLogs, streamExists } from "../containers/logs.js";
import { killContainer, removeContainer, renameContainer, restartContainer, startContainer, stopContainer, waitContainer } from "../containers/lifecycle.js";
import { dockerContainerInspect, imageRunConfig } from "../containers/inspect.js";
import { runtimeProcedures } from "../containers/runtime-ops.js";
import { containerNetworkInspect, withNetwork } from "../networks/jobs.js";
import { removeAnonymousVolumes, withMounts } from "../volumes/service.js";
import { containerChanges } from "../containers/fs.js";
import { containerCommands } from "../containers/command.js";

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
  run: mutatingProcedure
    .input(RunInput)
    .mutation(({ ctx, input }) => runContainer(ctx.services, input)),

  /** As run, but nothing starts until `start`. */
  create: mutatingProcedure
    .input(RunInput)
    .mutation(({ ctx, input }) => runContainer(ctx.services, { ...input, start: false })),

  list: protectedProcedure
    .input(z.object({ all: z.boolean().optional() }).optional())
    .query(async ({ ctx, input }): Promise<ContainerSummary[]> => {
      const rows = await ctx.services.db.container.findMany({
        where: input?.all ? {} : { state: { in: ["created", "running", "restarting"] } },
        orderBy: [{ createdAt: "desc" }, { id: "asc" }],
        include: { runtime: true },
      });
      const commands = await containerCommands(ctx.services, rows);
      return rows.map((r) => ({ ...toSummary(r), command: commands.get(r.id) ?? [] }));
    }),

  byId: protectedProcedure.input(z.object({ id: ContainerRef })).query(async ({ ctx, input }): Promise<ContainerSummary> => {
    const c = await findContainer(ctx.services.db, input.id);
    if (!c) throw new NotFound(`No such container: ${input.id}`);
    return toSummary(c);
  }),

  logs: protectedProcedure
    .input(z.object({ id: ContainerRef, tail: z.number().int().min(0).max(100_000).optional() }))
    .query(async ({ ctx, input }) => {
      const { db, redis } = ctx.services;
      const c = await findContainer(db, input.id);
      // An auto-removed container's row is gone, but its stream lingers: a full id still reads it.
      const id = c?.id ?? (isFullContainerId(input.id) && (await streamExists(redis, input.id)) ? input.id : undefined);
      if (!id) throw new NotFound(`No such container: ${input.id}`);
      const out = await readLogs(redis, id, input.tail);
      return { entries: out.entries, done: out.done || c?.state === "exited" };
    }),

  stop: mutatingProcedure
    .input(z.object({ id: ContainerRef, timeoutSec: z.number().int().min(0).max(3600).optional() }))
    .mutation(({ ctx, input }) => stopContainer(ctx.services, input.id, input.timeoutSec)),

  kill: mutatingProcedure
    .input(z.object({ id: ContainerRef, signal: z.string().trim().min(1).max(16).default("KILL") }))
    .mutation(({ ctx, input }) => killContainer(ctx.services, input.id, input.signal)),

  remove: mutatingProcedure
    .input(z.object({ id: ContainerRef, force: z.boolean().default(false), volumes: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      // rm -v: the anonymous volumes go after the container (named ones stay, as docker).
      const c = input.volumes ? await findContainer(ctx.services.db, input.id) : null;
      await removeContainer(ctx.services, input.id, input.force);
      if (c) await removeAnonymousVolumes(ctx.services, c);
    }),

  start: mutatingProcedure.input(z.object({ id: ContainerRef })).mutation(({ ctx, input }) => startContainer(ctx.services, input.id)),

  restart: mutatingProcedure
    .input(z.object({ id: ContainerRef, timeoutSec: z.number().int().min(0).max(3600).optional() }))
    .mutation(({ ctx, input }) => restartContainer(ctx.services, input.id, input.timeoutSec)),

  wait: protectedProcedure.input(z.object({ id: ContainerRef })).query(({ ctx, input }) => waitContainer(ctx.services, input.id)),

  rename: mutatingProcedure
    .input(z.object({ id: ContainerRef, name: z.string().trim().min(1).max(128) }))
    .mutation(({ ctx, input }) => renameContainer(ctx.services, input.id, input.name)),

  inspect: protectedProcedure.input(z.object({ id: ContainerRef })).query(async ({ ctx, input }) => {
    const c = await findContainer(ctx.services.db, input.id);
    if (!c) throw new NotFound(`No such container: ${input.id}`);
    const runtime = await ctx.services.db.containerRuntime.findUnique({ where: { containerId: c.id } });
    const inspect = withNetwork(dockerContainerInspect({ ...c, runtime }, await imageRunConfig(ctx.services, c)), await containerNetworkInspect(ctx.services, c));
    return withMounts(ctx.services, c, inspect);
  }),

  ...runtimeProcedures,

  /** `diff`: A/C/D changes of the container's filesystem. */
  changes: protectedProcedure.input(z.object({ id: ContainerRef })).query(({ ctx, input }) => containerChanges(ctx.services, input.id)),
});
