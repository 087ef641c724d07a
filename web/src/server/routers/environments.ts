import { z } from "zod";
import { config, environmentRouteName, EnvironmentName } from "@berth/core";
import { readRequestLog } from "../../edge/request-log.js";
import { router, teamProcedure } from "../trpc.js";
import { BranchName, ProjectName } from "../projects/names.js";
import { requestOrigin } from "../audit/index.js";
import { checkRegistryCredentials, createEnvironment, environmentEvent, findEnvironment, listConfig, listEnvironments, removeEnvironment, setConfig, unsetConfig, updateEnvironment, updateRegistry } from "../environments/index.js";
import { redeployConfig, type ReleaseRunResult } from "../releases/index.js";
import type { Actor } from "../policy/index.js";
import type { Services } from "../services.js";

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
 * After a config change: a release of the live images with the new config, deployed (`deployed`),
 * unless `deploy` is false (`held`) or nothing is deployed yet (both null: the next release uses it).
 */
async function configRelease(
  ctx: { services: Services; actor: Actor; req: Parameters<typeof requestOrigin>[0] },
  input: { project: string; env: string; deploy: boolean },
  reason: string,
): Promise<{ deployed: ReleaseRunResult | null; held: boolean }> {
  if (!input.deploy) return { deployed: null, held: true };
  const { env } = await findEnvironment(ctx.services.db, ctx.actor.team.id, input.project, input.env);
  if (env.liveRelease === null) return { deployed: null, held: false };
  return { deployed: await redeployConfig(ctx.services, ctx.actor, input.project, input.env, reason, requestOrigin(ctx.req)), held: false };
}

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

  /**
   * One new config version. Any change of config makes a new release: with a release live, one of
   * the same images with the new config is made and deployed at once, as every deploy is (health
   * check, atomic switch; a failure leaves the release before serving). `deploy: false` only
   * stores it for the next release (to batch several changes); with nothing deployed it is stored.
   */
  setConfig: teamProcedure("environment.config")
    .input(z.object({ project: ProjectName, env: EnvironmentName, values: z.record(Key, z.string().max(65536)), secret: z.boolean().default(false), deploy: z.boolean().default(true) }))
    .mutation(async ({ ctx, input }) => {
      const { env } = await findEnvironment(ctx.services.db, ctx.actor.team.id, input.project, input.env);
      const r = await setConfig(ctx.services.db, env.id, input.values, input.secret, ctx.actor.userName);
      await environmentEvent(ctx.services, "environment.config", ctx.actor.team.id, input.project, input.env, { set: r.keys.join(","), version: String(r.configVersion), by: ctx.actor.userName });
      return { ...r, ...(await configRelease(ctx, input, `config: set ${r.keys.join(", ")}`)) };
    }),

  unsetConfig: teamProcedure("environment.config")
    .input(z.object({ project: ProjectName, env: EnvironmentName, keys: z.array(Key).min(1).max(500), deploy: z.boolean().default(true) }))
    .mutation(async ({ ctx, input }) => {
      const { env } = await findEnvironment(ctx.services.db, ctx.actor.team.id, input.project, input.env);
      const r = await unsetConfig(ctx.services.db, env.id, input.env, input.keys);
      await environmentEvent(ctx.services, "environment.config", ctx.actor.team.id, input.project, input.env, { unset: r.keys.join(","), version: String(r.configVersion), by: ctx.actor.userName });
      return { ...r, ...(await configRelease(ctx, input, `config: unset ${r.keys.join(", ")}`)) };
    }),

  /**
   * The registry repository an environment's releases are copied to (by digest, verified), with
   * credentials sealed at rest and never shown back; `repository` null: it runs here again.
   */
  setRegistry: teamProcedure("environment.manage")
    .input(
      z.object({
        project: ProjectName,
        env: EnvironmentName,
        repository: z.string().min(1).max(512).nullable(),
        credentials: z.object({ username: z.string().min(1).max(256), password: z.string().min(1).max(4096) }).optional(),
        /** Try the credentials against the registry before storing them (false: store them untried). */
        check: z.boolean().default(true),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      if (input.repository !== null && input.credentials && input.check) await checkRegistryCredentials(ctx.services, input.repository, input.credentials);
      const out = await updateRegistry(ctx.services.db, ctx.actor.team, input.project, input.env, input.repository, input.credentials);
      await environmentEvent(ctx.services, "environment.update", ctx.actor.team.id, input.project, input.env, { registry: out.environment.registry?.repository ?? "none", by: ctx.actor.userName });
      return out;
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
