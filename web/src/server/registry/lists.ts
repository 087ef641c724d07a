/** tags/list and _catalog, paginated with `n`/`last` and a `Link` header to the next page. */
import { authorize } from "./auth.js";
import type { RegistryDeps, RegistryRequest } from "./context.js";
import { RegistryError } from "./errors.js";
import { nextLink, pageParams, sendJson } from "./http.js";
import { findRepo, visibleWhere } from "./repos.js";

export const PAGE_MAX = 1000;

export async function listTags(deps: RegistryDeps, r: RegistryRequest, name: string): Promise<void> {
  const repo = await findRepo(deps.db, name);
  authorize(r.req, r.caller, name, "pull", repo);
  if (!repo) throw new RegistryError("NAME_UNKNOWN", `repository name not known to registry: ${name}`, { detail: { name } });
  const { n, last } = pageParams(r.url.searchParams, PAGE_MAX);
  const rows =
    n === 0
      ? []
      : await deps.db.repoTag.findMany({
          where: { repositoryId: repo.id, ...(last !== undefined ? { name: { gt: last } } : {}) },
          orderBy: { name: "asc" },
          take: n + 1,
          select: { name: true },
        });
  const page = rows.slice(0, n).map((t) => t.name);
  const headers: Record<string, string> = {};
  if (rows.length > n) headers.link = nextLink(`/v2/${name}/tags/list`, n, page[page.length - 1]!);
  sendJson(r.res, 200, { name, tags: page }, headers, r.head);
}

/** Only the repositories the caller can see: private ones of others are absent, not hidden behind an error. */
export async function listCatalog(deps: RegistryDeps, r: RegistryRequest): Promise<void> {
  const { n, last } = pageParams(r.url.searchParams, PAGE_MAX);
  const visible = visibleWhere(r.caller.principal);
  const rows =
    n === 0
      ? []
      : await deps.db.repository.findMany({
          where: last !== undefined ? { AND: [visible, { name: { gt: last } }] } : visible,
          orderBy: { name: "asc" },
          take: n + 1,
          select: { name: true },
        });
  const page = rows.slice(0, n).map((x) => x.name);
  const headers: Record<string, string> = {};
  if (rows.length > n) headers.link = nextLink("/v2/_catalog", n, page[page.length - 1]!);
  sendJson(r.res, 200, { repositories: page }, headers, r.head);
}
