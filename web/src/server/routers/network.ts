import { z } from "zod";
import { ContainerOptions, NetworkName, NotFound, type NetworkInspect } from "@berth/core";
import { hostPowerRefusal } from "../policy/index.js";
import { router, teamProcedure } from "../trpc.js";
import { findContainer } from "../containers/resolve.js";
import { networkJob } from "../networks/jobs.js";
import { connectConfigured, disconnectConfigured } from "../networks/connect.js";
import { networkEvent } from "../events/publish.js";
import type { Services } from "../services.js";

const Ref = z.string().trim().min(1, "network name or id is required").max(128);
const ContainerRef = z.string().trim().min(1, "container id or name is required").max(256);

async function running(s: Services, teamId: string, ref: string) {
  const c = await findContainer(s.db, teamId, ref);
  if (!c) throw new NotFound(`No such container: ${ref}`);
  return c;
}

/**
 * `berth network …` on the current team's networks (and the shared default bridge): the worker
 * of the host owns bridges, addresses and rules; web relays, naming the team.
 */
export const networkRouter = router({
  create: teamProcedure("network.manage")
    .input(
      z.object({
        name: NetworkName,
        driver: z.literal("bridge", { message: "only the bridge driver exists" }).default("bridge"),
        subnet: z.string().trim().max(64).optional(),
        gateway: z.string().trim().max(64).optional(),
        labels: z.record(z.string(), z.string().max(4096)).default({}),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const teamId = ctx.actor.team.id;
      const made = await networkJob<{ id: string }>(ctx.services, { op: "create", teamId, ...input });
      await networkEvent(ctx.services, "network.create", { id: made.id, name: input.name }, teamId);
      return made;
    }),

  list: teamProcedure("network.read").query(({ ctx }) => networkJob<NetworkInspect[]>(ctx.services, { op: "list", teamId: ctx.actor.team.id })),

  inspect: teamProcedure("network.read")
    .input(z.object({ names: z.array(Ref).min(1).max(100) }))
    .query(({ ctx, input }) => networkJob<NetworkInspect[]>(ctx.services, { op: "inspect", teamId: ctx.actor.team.id, names: input.names })),

  remove: teamProcedure("network.manage")
    .input(z.object({ names: z.array(Ref).min(1).max(100) }))
    .mutation(async ({ ctx, input }) => {
      const teamId = ctx.actor.team.id;
      const gone = await networkJob<{ ref: string; id: string; name: string }[]>(ctx.services, { op: "remove", teamId, names: input.names });
      for (const n of gone) await networkEvent(ctx.services, "network.destroy", n, teamId);
      return gone.map((n) => n.ref);
    }),

  /** Only the current team's unused networks (the default bridge stays). */
  prune: teamProcedure("network.manage").mutation(async ({ ctx }) => {
    const teamId = ctx.actor.team.id;
    const gone = await networkJob<{ id: string; name: string }[]>(ctx.services, { op: "prune", teamId });
    for (const n of gone) await networkEvent(ctx.services, "network.destroy", n, teamId);
    return gone.map((n) => n.name);
  }),

  connect: teamProcedure("network.manage")
    .input(z.object({ network: Ref, container: ContainerRef, aliases: z.array(z.string().trim().min(1).max(253)).max(64).default([]) }))
    .mutation(async ({ ctx, input }) => {
      const refusal = hostPowerRefusal(ctx.actor, ContainerOptions.parse({ network: input.network }));
      if (refusal) throw refusal;
      const c = await running(ctx.services, ctx.actor.team.id, input.container);
      // Not running (created, exited): only its options change; the next start joins the network.
      const live = c.state === "running" ? () => networkJob<void>(ctx.services, { op: "connect", teamId: c.teamId, network: input.network, containerId: c.id, aliases: input.aliases }, c.hostId) : undefined;
      const n = await connectConfigured(ctx.services, c, input.network, input.aliases, live);
      await networkEvent(ctx.services, "network.connect", { id: n.Id, name: n.Name }, c.teamId, c.id);
    }),

  disconnect: teamProcedure("network.manage")
    .input(z.object({ network: Ref, container: ContainerRef, force: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      const c = await running(ctx.services, ctx.actor.team.id, input.container);
      const live = c.state === "running" ? () => networkJob<void>(ctx.services, { op: "disconnect", teamId: c.teamId, network: input.network, containerId: c.id, force: input.force }, c.hostId) : undefined;
      const n = await disconnectConfigured(ctx.services, c, input.network, live);
      await networkEvent(ctx.services, "network.disconnect", { id: n.Id, name: n.Name }, c.teamId, c.id);
    }),
});
