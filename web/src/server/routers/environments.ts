import { z } from "zod";
import { config, environmentRouteName, EnvironmentName } from "@berth/core";
import { readRequestLog } from "../../edge/request-log.js";
import { router, teamProcedure } from "../trpc.js";
import { BranchName, ProjectName } from "../projects/names.js";
import { requestOrigin } from "../audit/index.js";
import { createEnvironment, environmentEvent, findEnvironment, listConfig, listEnvironments, removeEnvironment, setConfig, unsetConfig, updateEnvironment } from "../environments/index.js";
import { redeployConfig } from "../releases/index.js";

export type { EnvironmentSummary, ConfigEntry } from "../environments/index.js";

const Key = z.string().min(1).max(255);
const Settings = z.object({
  position: z.number().int().min(1).max(1000).optional(),
  branch: BranchName.nullable().optional(),
  replicas: z.number().int().min(1).max(20).optional(),
  cpus: z.number().positive().max(1024).nullable().optional(),
  memoryBytes: z.number().int().positive().nullable().optional(),
  watchSeconds: z.number().int().min(0).max(86_400).optional(),
  /** Extra host names (app.example.com); [] removes them all. */
  domains: z.array(z.string().min(1).max(253)).max(50).optional(),
});

/**
 * `berth env …`: a project's environments (staging, production…) in pipeline order, and each
 * one's own config. Viewers list them and read config (a secret's value is masked for everyone,
 * always); members set and unset config; admins add, change and remove environments.
 */
export const environmentsRouter = router({
  list: teamProcedure("release.read")
    .input(z.object({ project: ProjectName }))
    .query(({ ctx, input }) => listEnvironments(ctx.services.db, ctx.actor.team, input.project)),

  config: teamProcedure("release.read")
    .input(z.object({ project: ProjectName, env: EnvironmentName }))
    .query(async ({ ctx, input }) => listConfig(ctx.services.db, (await findEnvironment(ctx.services.db, ctx.actor.team.id, input.project, input.env)).env.id)),

  /** The edge's log of requests to the environment (its URL and domains), oldest first, the newest `limit`. */
  requests: teamProcedure("release.read")
    .input(z.object({ project: ProjectName, env: EnvironmentName, limit: z.number().int().min(1).max(10_000).default(100) }))
    .query(async ({ ctx, input }) => {
      const { project, env } = await findEnvironment(ctx.services.db, ctx.actor.team.id, input.project, input.env);
      return readRequestLog(config().home, environmentRouteName(ctx.actor.team.name, project.name, env.name), { limit: input.limit });
    }),

  /** One new config version; the next release uses it (with `deploy`, a release of the live images now). */
  setConfig: teamProcedure("environment.config")
    .input(z.object({ project: ProjectName, env: EnvironmentName, values: z.record(Key, z.string().max(65536)), secret: z.boolean().default(false), deploy: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      const { env } = await findEnvironment(ctx.services.db, ctx.actor.team.id, input.project, input.env);
      const r = await setConfig(ctx.services.db, env.id, input.values, input.secret, ctx.actor.userName);
      await environmentEvent(ctx.services, "environment.config", ctx.actor.team.id, input.project, input.env, { set: r.keys.join(","), version: String(r.configVersion), by: ctx.actor.userName });
      const deployed = input.deploy ? await redeployConfig(ctx.services, ctx.actor, input.project, input.env, `config ${r.keys.join(", ")}`, requestOrigin(ctx.req)) : null;
      return { ...r, deployed };
    }),

  unsetConfig: teamProcedure("environment.config")
    .input(z.object({ project: ProjectName, env: EnvironmentName, keys: z.array(Key).min(1).max(500), deploy: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      const { env } = await findEnvironment(ctx.services.db, ctx.actor.team.id, input.project, input.env);
      const r = await unsetConfig(ctx.services.db, env.id, input.env, input.keys);
      await environmentEvent(ctx.services, "environment.config", ctx.actor.team.id, input.project, input.env, { unset: r.keys.join(","), version: String(r.configVersion), by: ctx.actor.userName });
      const deployed = input.deploy ? await redeployConfig(ctx.services, ctx.actor, input.project, input.env, `config unset ${r.keys.join(", ")}`, requestOrigin(ctx.req)) : null;
      return { ...r, deployed };
    }),

  create: teamProcedure("environment.manage")
    .input(Settings.extend({ project: ProjectName, env: EnvironmentName }))
    .mutation(async ({ ctx, input }) => {
      const { project, env, ...settings } = input;
      const out = await createEnvironment(ctx.services.db, ctx.actor.team, project, env, settings);
      await environmentEvent(ctx.services, "environment.create", ctx.actor.team.id, project, env, { by: ctx.actor.userName });
      return out;
    }),

  update: teamProcedure("environment.manage")
    .input(Settings.extend({ project: ProjectName, env: EnvironmentName }))
    .mutation(async ({ ctx, input }) => {
      const { project, env, ...settings } = input;
      const out = await updateEnvironment(ctx.services.db, ctx.actor.team, project, env, settings);
      await environmentEvent(ctx.services, "environment.update", ctx.actor.team.id, project, env, { by: ctx.actor.userName });
      return out;
    }),

  remove: teamProcedure("environment.manage")
    .input(z.object({ project: ProjectName, env: EnvironmentName, force: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      const out = await removeEnvironment(ctx.services, ctx.actor.team, input.project, input.env, input.force);
      await environmentEvent(ctx.services, "environment.destroy", ctx.actor.team.id, input.project, input.env, { by: ctx.actor.userName });
      return out;
    }),
});
