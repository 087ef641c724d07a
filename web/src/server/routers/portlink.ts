import { z } from "zod";
import { config, ContainerOptions, edgeUrl, EdgeVisibilitySchema, InvalidArgument, parseDuration, type EdgeVisibility } from "@berth/core";
import type { Db } from "@berth/core/db";
import { router, teamProcedure } from "../trpc.js";
import { resolveContainer } from "../containers/resolve.js";
import { createCapability, listVisibilities, setVisibility } from "../edge/links.js";

const Port = z.number().int().min(1).max(65535);
const MAX_TTL_MS = 30 * 24 * 3600_000;

export interface PortLinkRow {
  container: string;
  port: number;
  visibility: EdgeVisibility;
  url: string;
}

const linkUrl = (team: string, container: string, port: number) => {
  const cfg = config();
  return edgeUrl({ kind: "container", team, container, port }, cfg.domain, cfg.edgePort);
};

/** A container's ports with a link: published (-p) TCP ports and any port given a visibility. */
function portsOf(c: Db.Container, vis: Map<number, EdgeVisibility>): number[] {
  const opts = ContainerOptions.safeParse(JSON.parse(c.options || "{}"));
  const published = opts.success ? (opts.data.publish ?? []).filter((p) => p.protocol === "tcp").map((p) => p.containerPort) : [];
  return [...new Set([...published, ...vis.keys()])].sort((a, b) => a - b);
}

/**
 * Port links on the edge: every port of a container answers at `<name>-<port>--<team>.<domain>`;
 * these set who may open it (private by default) and hand out expiring capability links.
 */
export const portLinkRouter = router({
  list: teamProcedure("portlink.read")
    .input(z.object({ container: z.string().trim().min(1).max(255).optional() }).optional())
    .query(async ({ ctx, input }): Promise<PortLinkRow[]> => {
      const { db, redis } = ctx.services;
      const team = ctx.actor.team;
      const containers = input?.container ? [await resolveContainer(db, team.id, input.container)] : await db.container.findMany({ where: { teamId: team.id }, orderBy: { name: "asc" } });
      const rows: PortLinkRow[] = [];
      for (const c of containers) {
        const vis = await listVisibilities(redis, c.id);
        for (const port of portsOf(c, vis)) rows.push({ container: c.name, port, visibility: vis.get(port) ?? "private", url: linkUrl(team.name, c.name, port) });
      }
      return rows;
    }),

  set: teamProcedure("portlink.manage")
    .input(z.object({ container: z.string().trim().min(1).max(255), port: Port, visibility: EdgeVisibilitySchema }))
    .mutation(async ({ ctx, input }): Promise<PortLinkRow> => {
      const c = await resolveContainer(ctx.services.db, ctx.actor.team.id, input.container);
      await setVisibility(ctx.services.redis, c.id, input.port, input.visibility);
      return { container: c.name, port: input.port, visibility: input.visibility, url: linkUrl(ctx.actor.team.name, c.name, input.port) };
    }),

  /** A capability link: opens this one port for whoever holds it, until it expires. */
  create: teamProcedure("portlink.manage")
    .input(z.object({ container: z.string().trim().min(1).max(255), port: Port, ttl: z.string().trim().max(32).default("1h") }))
    .mutation(async ({ ctx, input }) => {
      const ttlMs = parseDuration(input.ttl, "--ttl");
      if (ttlMs < 1000 || ttlMs > MAX_TTL_MS) throw new InvalidArgument(`--ttl ${input.ttl}: a link lives between 1s and 720h`);
      const c = await resolveContainer(ctx.services.db, ctx.actor.team.id, input.container);
      const { secret, expiresAt } = await createCapability(ctx.services.redis, c.id, input.port, ttlMs);
      const url = new URL(linkUrl(ctx.actor.team.name, c.name, input.port));
      url.searchParams.set("berth_link", secret);
      return { container: c.name, port: input.port, url: url.toString(), secret, expiresAt: expiresAt.toISOString() };
    }),
});
