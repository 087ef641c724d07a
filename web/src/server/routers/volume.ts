import { z } from "zod";
import { VolumeName } from "@berth/core";
import { router, teamProcedure } from "../trpc.js";
import { can } from "../policy/index.js";
import { createVolume, inspectVolumes, noSuchVolume, snapshotVolume, listVolumes, pruneVolumes, removeVolumes, volumeUsage, type VolumeUsage } from "../volumes/service.js";

export type { VolumeUsage };

const Names = z.array(z.string().trim().min(1).max(255)).min(1).max(1000);

/** Docker's `volume` commands, on the current team's volumes. Reads come from the DB; changes run on the volume's host. */
export const volumeRouter = router({
  /** `from`: a copy-on-write snapshot of that volume of the team's (creating plus reading it). */
  create: teamProcedure("volume.manage")
    .input(z.object({ name: VolumeName.optional(), labels: z.record(z.string().min(1).max(1024), z.string().max(64 * 1024)).default({}), from: VolumeName.optional() }))
    .mutation(({ ctx, input }) => {
      if (!input.from) return createVolume(ctx.services, ctx.actor.team.id, input.name, input.labels);
      const read = can(ctx.actor, "volume.read", { teamId: ctx.actor.team.id, notFound: noSuchVolume(input.from) });
      if (!read.allow) throw read.error;
      return snapshotVolume(ctx.services, ctx.actor.team.id, input.from, input.name, input.labels);
    }),

  list: teamProcedure("volume.read")
    .input(z.object({ dangling: z.boolean().optional(), name: z.array(z.string().max(255)).max(100).optional(), label: z.array(z.string().max(2048)).max(100).optional() }).optional())
    .query(({ ctx, input }) => listVolumes(ctx.services, ctx.actor.team.id, input ?? {})),

  /** Each of the team's volumes with its size and the containers that mount it (the dashboard's volumes page). */
  usage: teamProcedure("volume.read").query(({ ctx }): Promise<VolumeUsage[]> => volumeUsage(ctx.services, ctx.actor.team.id)),

  inspect: teamProcedure("volume.read").input(z.object({ names: Names })).query(({ ctx, input }) => inspectVolumes(ctx.services, ctx.actor.team.id, input.names)),

  remove: teamProcedure("volume.manage")
    .input(z.object({ names: Names, force: z.boolean().default(false) }))
    .mutation(({ ctx, input }) => removeVolumes(ctx.services, ctx.actor.team.id, input.names, input.force)),

  /** Only the current team's unused volumes. */
  prune: teamProcedure("volume.manage").input(z.object({ all: z.boolean().default(false) })).mutation(({ ctx, input }) => pruneVolumes(ctx.services, ctx.actor.team.id, input.all)),
});
