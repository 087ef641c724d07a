import { z } from "zod";
import { EdgeVisibilitySchema } from "@berth/core";
import { ComposeProject } from "@berth/core/compose";
import { router, teamProcedure } from "../trpc.js";
import { stackDown, stackFreeze, stackList, stackProgress, stackProject, stackPs, stackRemove, stackThaw, stackUp } from "../stacks/service.js";
import { setStackLink, stackCapability, stackLinks } from "../stacks/links.js";

const StackName = z
  .string()
  .trim()
  .min(1, "a stack name is required")
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, "a stack name is lowercase letters, digits, '-' and '_', starting with a letter or digit (as Compose's project names)");

const Port = z.number().int().min(1).max(65535);

/**
 * `berth stack …`: a stack is a team object; the file the CLI read is its desired state, and
 * the server converges to it (web/src/server/stacks/). Members change stacks, viewers read them.
 */
export const stackRouter = router({
  up: teamProcedure("stack.manage")
    .input(
      z
        .object({
          name: StackName,
          project: ComposeProject.extend({ name: StackName }),
          services: z.array(z.string().max(128)).max(256).default([]),
          // true: return at once with the run's id, and read its lines with stack.progress.
          follow: z.boolean().default(false),
        })
        // `name` repeats the project's so the audit log names the stack acted on.
        .refine((i) => i.name === i.project.name, "name must be the project's name"),
    )
    .mutation(({ ctx, input }) => stackUp(ctx.services, ctx.actor, input.project, input.services, input.follow)),

  /** The lines of a converge (`up`) after `cursor`, and its end once it ended. */
  progress: teamProcedure("stack.read")
    .input(z.object({ name: StackName, runId: z.string().uuid(), cursor: z.string().max(64).regex(/^\d+(-\d+)?$/).optional() }))
    .query(({ ctx, input }) => stackProgress(ctx.services, ctx.actor.team.id, input.name, input.runId, input.cursor)),

  down: teamProcedure("stack.manage")
    .input(z.object({ name: StackName, volumes: z.boolean().default(false) }))
    .mutation(({ ctx, input }) => stackDown(ctx.services, ctx.actor.team.id, input.name, input.volumes)),

  remove: teamProcedure("stack.manage")
    .input(z.object({ name: StackName, force: z.boolean().default(false), volumes: z.boolean().default(false) }))
    .mutation(({ ctx, input }) => stackRemove(ctx.services, ctx.actor.team.id, input.name, input.force, input.volumes)),

  ps: teamProcedure("stack.read")
    .input(z.object({ name: StackName }))
    .query(({ ctx, input }) => stackPs(ctx.services, ctx.actor.team.id, input.name)),

  list: teamProcedure("stack.read").query(({ ctx }) => stackList(ctx.services, ctx.actor.team.id)),

  config: teamProcedure("stack.read")
    .input(z.object({ name: StackName }))
    .query(({ ctx, input }) => stackProject(ctx.services, ctx.actor.team.id, input.name)),

  /** Freezes the stack now (cgroup freezer, as its idle time would): processes keep memory and connections. */
  freeze: teamProcedure("stack.manage")
    .input(z.object({ name: StackName }))
    .mutation(({ ctx, input }) => stackFreeze(ctx.services, ctx.actor.team.id, input.name)),

  /** Thaws a frozen stack now (a request through its links would too). */
  thaw: teamProcedure("stack.manage")
    .input(z.object({ name: StackName }))
    .mutation(({ ctx, input }) => stackThaw(ctx.services, ctx.actor.team.id, input.name)),

  /** The stack's port links `<service>-<port>--<stack>--<team>.<domain>` with their visibility. */
  ports: teamProcedure("portlink.read")
    .input(z.object({ name: StackName }))
    .query(({ ctx, input }) => stackLinks(ctx.services, ctx.actor.team, input.name)),

  setPort: teamProcedure("portlink.manage")
    .input(z.object({ name: StackName, service: z.string().min(1).max(128), port: Port, visibility: EdgeVisibilitySchema }))
    .mutation(({ ctx, input }) => setStackLink(ctx.services, ctx.actor.team, input.name, input.service, input.port, input.visibility)),

  /** A capability link: opens one port of one service for whoever holds it, until it expires. */
  link: teamProcedure("portlink.manage")
    .input(z.object({ name: StackName, service: z.string().min(1).max(128), port: Port, ttl: z.string().trim().max(32).default("1h") }))
    .mutation(({ ctx, input }) => stackCapability(ctx.services, ctx.actor.team, input.name, input.service, input.port, input.ttl)),
});
