/** Manifest endpoints (HEAD/GET/PUT/DELETE by tag or digest) and the referrers API. */
import { digestAlgorithm, digestOf } from "@berth/core";
import { readRows } from "@berth/core/db";
import { authorize } from "./auth.js";
import type { RegistryDeps, RegistryRequest } from "./context.js";
import { RegistryError } from "./errors.js";
import { readBody, send, sendJson } from "./http.js";
import { accepts, ManifestType, MANIFEST_MAX_BYTES, parseManifest } from "./manifest.js";
import { checkDigest, DIGEST_RE, isDigest, TAG_RE } from "./names.js";
import { ensureRepo, findRepo, findRepoRef } from "./repos.js";

const manifestUnknown = (reference: string) =>
  new RegistryError("MANIFEST_UNKNOWN", `manifest unknown: ${reference}`, { detail: DIGEST_RE.test(reference) ? { digest: reference } : { tag: reference } });
const nameUnknown = (name: string) => new RegistryError("NAME_UNKNOWN", `repository name not known to registry: ${name}`, { detail: { name } });

/**
 * A reference is a tag or a digest (sha256 or sha512); anything else is "invalid". Callers
 * check access first, so a malformed reference never answers before the auth challenge.
 */
function referenceKind(reference: string): "tag" | "digest" | "invalid" {
  if (isDigest(reference)) return DIGEST_RE.test(reference) ? "digest" : "invalid";
  return TAG_RE.test(reference) ? "tag" : "invalid";
}

/** For writes: a malformed reference is the client's mistake, said plainly (400). */
function checkReference(reference: string): "tag" | "digest" {
  const kind = referenceKind(reference);
  if (kind !== "invalid") return kind;
  if (isDigest(reference)) checkDigest(reference);
  throw new RegistryError("MANIFEST_INVALID", `invalid tag "${reference}": up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'`, { detail: { tag: reference } });
}

export async function getManifest(deps: RegistryDeps, r: RegistryRequest, name: string, reference: string): Promise<void> {
  const repo = findRepoRef(deps.db, name);
  authorize(r.req, r.caller, name, "pull", repo);
  if (!repo) throw nameUnknown(name);
  // No manifest can be stored under a malformed tag or digest: unknown, as any other absent one.
  const kind = referenceKind(reference);
  if (kind === "invalid") throw manifestUnknown(reference);
  const row = kind === "digest" ? manifestByDigest(deps, repo.id, reference) : taggedManifest(deps, repo.id, reference);
  if (!row) throw manifestUnknown(reference);
  // By tag, a client gets the manifest only in a media type it accepts (by digest it asked for those exact bytes).
  if (kind === "tag" && !accepts(r.req.headers.accept, row.mediaType)) {
    throw new RegistryError("MANIFEST_UNKNOWN", `manifest ${reference} is a ${row.mediaType}, which the request's Accept header does not allow`, {
      detail: { tag: reference, mediaType: row.mediaType },
    });
  }
  let body: Buffer;
  try {
    body = await deps.store.read(row.digest);
  } catch {
    throw manifestUnknown(reference);
  }
  send(r.res, 200, { "content-type": row.mediaType, "docker-content-digest": row.digest, etag: `"${row.digest}"` }, body, r.head);
}

/** What serving a manifest needs of its row (its bytes are in the content store). */
type ManifestRow = { digest: string; mediaType: string };

/** A manifest of the repository by digest (on the read connection: a pull of an index fetches each platform's so). */
function manifestByDigest(deps: RegistryDeps, repositoryId: string, digest: string): ManifestRow | undefined {
  return readRows<ManifestRow>(deps.db, `SELECT "digest", "mediaType" FROM "RepoManifest" WHERE "repositoryId" = ? AND "digest" = ?`, repositoryId, digest)[0];
}

/** The manifest a tag points at (a plain join on the read connection: every pull starts here). */
function taggedManifest(deps: RegistryDeps, repositoryId: string, tag: string): ManifestRow | undefined {
  return readRows<ManifestRow>(
    deps.db,
    `SELECT m."digest", m."mediaType" FROM "RepoTag" t
     JOIN "RepoManifest" m ON m."repositoryId" = t."repositoryId" AND m."digest" = t."digest"
     WHERE t."repositoryId" = ? AND t."name" = ?`,
    repositoryId,
    tag,
  )[0];
}

export async function putManifest(deps: RegistryDeps, r: RegistryRequest, name: string, reference: string): Promise<void> {
  const existing = findRepoRef(deps.db, name);
  authorize(r.req, r.caller, name, "push", existing);
  const kind = checkReference(reference);
  const tags = kind === "tag" ? [reference] : tagParams(r);
  const body = await readBody(r.req, MANIFEST_MAX_BYTES);
  const m = parseManifest(body, r.req.headers["content-type"]);
  // By digest, the manifest is addressed with that digest's algorithm; by tag, with sha256.
  const digest = digestOf(body, kind === "digest" ? digestAlgorithm(reference) : "sha256");
  if (kind === "digest" && reference !== digest) {
    throw new RegistryError("DIGEST_INVALID", `the manifest's digest is ${digest}, not ${reference}`, { detail: { expected: reference, actual: digest } });
  }
  // Everything it names must already be in this repository.
  const missingBlobs = existing
    ? m.blobs.length
      ? await presentIn(deps, existing.id, m.blobs, "blob").then((have) => m.blobs.filter((d) => !have.has(d)))
      : []
    : m.blobs;
  const missingManifests = existing
    ? m.manifests.length
      ? await presentIn(deps, existing.id, m.manifests, "manifest").then((have) => m.manifests.filter((d) => !have.has(d)))
      : []
    : m.manifests;
  // The commit point of a push: every blob it names is on disk first (a crash may have lost one).
  const lost = missingBlobs.length ? [] : await deps.durability.ensure(m.blobs);
  const missing = [...missingBlobs, ...lost, ...missingManifests];
  if (missing.length) {
    throw new RegistryError("MANIFEST_BLOB_UNKNOWN", `manifest references ${missing.length === 1 ? "a blob" : `${missing.length} blobs`} unknown to registry: ${missing.join(", ")}`, {
      detail: missing.map((digest) => ({ digest })),
    });
  }
  await deps.store.write(body, digest);
  const repo = existing ?? (await ensureRepo(deps.db, name, r.caller.principal));
  const annotations = m.annotations ? JSON.stringify(m.annotations) : null;
  const now = new Date();
  // Plain SQL, one statement each (a Prisma upsert is a read and a write, at a few times the
  // cost): every push ends here. Two pushes of the same manifest or tag at once both succeed.
  await deps.db.$transaction([
    deps.db.$executeRaw`
      INSERT INTO "RepoManifest" ("repositoryId", "digest", "mediaType", "size", "subject", "artifactType", "annotations", "createdAt")
      VALUES (${repo.id}, ${digest}, ${m.mediaType}, ${body.length}, ${m.subject ?? null}, ${m.artifactType ?? null}, ${annotations}, ${now})
      ON CONFLICT ("repositoryId", "digest") DO UPDATE SET "mediaType" = excluded."mediaType", "size" = excluded."size",
        "subject" = excluded."subject", "artifactType" = excluded."artifactType", "annotations" = excluded."annotations"`,
    ...tags.map(
      (tag) => deps.db.$executeRaw`
        INSERT INTO "RepoTag" ("repositoryId", "name", "digest", "updatedAt") VALUES (${repo.id}, ${tag}, ${digest}, ${now})
        ON CONFLICT ("repositoryId", "name") DO UPDATE SET "digest" = excluded."digest", "updatedAt" = excluded."updatedAt"`,
    ),
    deps.db.$executeRaw`UPDATE "Repository" SET "updatedAt" = ${now} WHERE "id" = ${repo.id}`,
  ]);
  deps.log.info({ repository: name, reference, digest, tags }, "registry: manifest pushed");
  send(r.res, 201, {
    location: `/v2/${name}/manifests/${digest}`,
    "docker-content-digest": digest,
    ...(m.subject ? { "oci-subject": m.subject } : {}),
    // OCI 1.1 tag parameters: one OCI-Tag line per tag applied, so the client knows it need not tag again.
    ...(kind === "digest" && tags.length ? { "oci-tag": tags } : {}),
  });
}

/** `?tag=a&tag=b` on a PUT by digest: the tags to point at it, each checked, duplicates once. */
function tagParams(r: RegistryRequest): string[] {
  const tags = [...new Set(r.url.searchParams.getAll("tag"))];
  for (const t of tags) {
    if (!TAG_RE.test(t)) {
      throw new RegistryError("MANIFEST_INVALID", `invalid tag "${t}" in the tag parameter: up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'`, {
        detail: { tag: t },
      });
    }
  }
  return tags;
}

async function presentIn(deps: RegistryDeps, repositoryId: string, digests: string[], what: "blob" | "manifest"): Promise<Set<string>> {
  // On the read connection (every push ends with this); the table name is one of two constants,
  // and the digests one JSON parameter, so each table has a single prepared statement.
  const table = what === "blob" ? `"RepoBlob"` : `"RepoManifest"`;
  const rows = readRows<{ digest: string }>(
    deps.db,
    `SELECT "digest" FROM ${table} WHERE "repositoryId" = ? AND "digest" IN (SELECT "value" FROM json_each(?))`,
    repositoryId,
    JSON.stringify(digests),
  );
  const present = new Set<string>();
  for (const row of rows) if (await deps.store.has(row.digest)) present.add(row.digest);
  return present;
}

/** DELETE by digest removes the manifest (and its tags); by tag, only the tag. */
export async function deleteManifest(deps: RegistryDeps, r: RegistryRequest, name: string, reference: string): Promise<void> {
  const repo = await findRepo(deps.db, name);
  authorize(r.req, r.caller, name, "delete", repo);
  if (!repo) throw nameUnknown(name);
  const kind = referenceKind(reference);
  if (kind === "invalid") throw manifestUnknown(reference);
  const { count } =
    kind === "digest"
      ? await deps.db.repoManifest.deleteMany({ where: { repositoryId: repo.id, digest: reference } })
      : await deps.db.repoTag.deleteMany({ where: { repositoryId: repo.id, name: reference } });
  if (count === 0) throw manifestUnknown(reference);
  deps.log.info({ repository: name, reference }, "registry: manifest deleted");
  send(r.res, 202, kind === "digest" ? { "docker-content-digest": reference } : {});
}

/** GET /v2/<name>/referrers/<digest>[?artifactType=]: an image index of the manifests whose subject is <digest>. */
export async function getReferrers(deps: RegistryDeps, r: RegistryRequest, name: string, digestParam: string): Promise<void> {
  const digest = checkDigest(digestParam);
  const repo = await findRepo(deps.db, name);
  authorize(r.req, r.caller, name, "pull", repo);
  const artifactType = r.url.searchParams.get("artifactType") || undefined;
  // A repository with nothing in it yet has no referrers: an empty index, as for any other subject (OCI 1.1).
  const rows = repo
    ? await deps.db.repoManifest.findMany({
        where: { repositoryId: repo.id, subject: digest, ...(artifactType ? { artifactType } : {}) },
        orderBy: [{ createdAt: "asc" }, { digest: "asc" }],
      })
    : [];
  const manifests = rows.map((m) => ({
    mediaType: m.mediaType,
    digest: m.digest,
    size: m.size,
    ...(m.artifactType ? { artifactType: m.artifactType } : {}),
    ...(m.annotations ? { annotations: JSON.parse(m.annotations) as Record<string, string> } : {}),
  }));
  sendJson(
    r.res,
    200,
    { schemaVersion: 2, mediaType: ManifestType.ociIndex, manifests },
    { "content-type": ManifestType.ociIndex, ...(artifactType ? { "oci-filters-applied": "artifactType" } : {}) },
    r.head,
  );
}
