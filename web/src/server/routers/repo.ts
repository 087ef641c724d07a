import { z } from "zod";
import { config, NotFound, PermissionDenied } from "@berth/core";
import type { Db, PrismaClient } from "@berth/core/db";
import { router, teamProcedure, siteProcedure } from "../trpc.js";
import { canSee, cleanUpContent, findRepo, heldActions, isRepoName, loadPrincipal, visibleWhere, type Principal, type Repository } from "../registry/index.js";

export interface RepoSummary {
  /** "namespace/name" */
  name: string;
  public: boolean;
  description: string;
  owner: string | null;
  tagCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface RepoTagSummary {
  name: string;
  digest: string;
  mediaType: string;
  updatedAt: string;
}

export interface RepoDetail extends RepoSummary {
  tags: RepoTagSummary[];
  /** What the caller may do: "pull", "push", "delete". */
  access: string[];
}

export const RepoName = z
  .string()
  .trim()
  .min(1, "repository name is required")
  .max(255)
  .refine(isRepoName, "want NAMESPACE/NAME in lowercase letters, digits and separators");

type RepoRow = Repository & { owner: { name: string } | null; _count: { tags: number } };

const include = { owner: { select: { name: true } }, _count: { select: { tags: true } } } as const;

export function toRepoSummary(r: RepoRow): RepoSummary {
  return {
    name: r.name,
    public: r.isPublic,
    description: r.description,
    owner: r.owner?.name ?? null,
    tagCount: r._count.tags,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

export async function listRepos(db: PrismaClient, p: Principal, where: Db.Prisma.RepositoryWhereInput = {}, take = 1000): Promise<RepoSummary[]> {
  const rows = await db.repository.findMany({ where: { AND: [visibleWhere(p), where] }, include, orderBy: { name: "asc" }, take });
  return rows.map(toRepoSummary);
}

/** The repository if the caller can see it; otherwise NotFound, the same as for one that does not exist. */
async function visibleRepo(db: PrismaClient, p: Principal, name: string): Promise<Repository> {
  const repo = await findRepo(db, name);
  if (!repo || !canSee(p, repo)) throw new NotFound(`repository ${name} not found`);
  return repo;
}

export const repoRouter = router({
  list: teamProcedure("repo.read").query(async ({ ctx }) => listRepos(ctx.services.db, await loadPrincipal(ctx.services.db, ctx.user))),

  byName: teamProcedure("repo.read").input(z.object({ name: RepoName })).query(async ({ ctx, input }): Promise<RepoDetail> => {
    const { db } = ctx.services;
    const p = await loadPrincipal(db, ctx.user);
    const repo = await visibleRepo(db, p, input.name);
    const row = await db.repository.findUniqueOrThrow({ where: { id: repo.id }, include });
    const tags = await db.repoTag.findMany({ where: { repositoryId: repo.id }, include: { manifest: { select: { mediaType: true } } }, orderBy: { name: "asc" } });
    return {
      ...toRepoSummary(row),
      tags: tags.map((t) => ({ name: t.name, digest: t.digest, mediaType: t.manifest.mediaType, updatedAt: t.updatedAt.toISOString() })),
      access: [...heldActions(p, repo.name, repo)],
    };
  }),

  set: teamProcedure("repo.manage")
    .input(z.object({ name: RepoName, public: z.boolean().optional(), description: z.string().max(4096).optional() }))
    .mutation(async ({ ctx, input }): Promise<RepoSummary> => {
      const { db, log } = ctx.services;
      const p = await loadPrincipal(db, ctx.user);
      const repo = await visibleRepo(db, p, input.name);
      if (!heldActions(p, repo.name, repo).has("push")) throw new PermissionDenied(`only the owner of ${repo.name} or an admin may change it`);
      const row = await db.repository.update({
        where: { id: repo.id },
        data: { ...(input.public !== undefined ? { isPublic: input.public } : {}), ...(input.description !== undefined ? { description: input.description } : {}) },
        include,
      });
      log.info({ repository: repo.name, public: row.isPublic, by: p.name }, "repository settings changed");
      return toRepoSummary(row);
    }),

  remove: teamProcedure("repo.manage").input(z.object({ name: RepoName })).mutation(async ({ ctx, input }) => {
    const { db, log } = ctx.services;
    const p = await loadPrincipal(db, ctx.user);
    const repo = await visibleRepo(db, p, input.name);
    if (!heldActions(p, repo.name, repo).has("delete")) throw new PermissionDenied(`only the owner of ${repo.name} or an admin may remove it`);
    await db.repository.delete({ where: { id: repo.id } });
    log.info({ repository: repo.name, by: p.name }, "repository removed");
    return { name: repo.name };
  }),

  /** Deletes one tag (the manifest stays while another tag or a digest pull names it), as `DELETE /v2/<name>/manifests/<tag>`. */
  removeTag: teamProcedure("repo.manage")
    .input(z.object({ name: RepoName, tag: z.string().trim().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/, "a tag: letters, digits, '_', '.' and '-', at most 128") }))
    .mutation(async ({ ctx, input }) => {
      const { db, log } = ctx.services;
      const p = await loadPrincipal(db, ctx.user);
      const repo = await visibleRepo(db, p, input.name);
      if (!heldActions(p, repo.name, repo).has("delete")) throw new PermissionDenied(`only the owner of ${repo.name} or an admin may delete its tags`);
      const { count } = await db.repoTag.deleteMany({ where: { repositoryId: repo.id, name: input.tag } });
      if (count === 0) throw new NotFound(`tag ${input.tag} not found in ${repo.name}`);
      log.info({ repository: repo.name, tag: input.tag, by: p.name }, "registry tag deleted");
      return { name: repo.name, tag: input.tag };
    }),

  /**
   * Admin: mark and sweep the content store now (web also does it hourly). Blobs younger than
   * the grace period are kept: they may belong to an upload, load or build still in progress.
   */
  gc: siteProcedure.input(z.object({ graceSeconds: z.number().int().min(0).optional() }).optional()).mutation(async ({ ctx, input }) => {
    if (ctx.user.readOnly) throw new PermissionDenied("this API token is read-only");
    return cleanUpContent(ctx.services.db, config().home, ctx.services.log, input?.graceSeconds !== undefined ? input.graceSeconds * 1000 : undefined);
  }),
});
