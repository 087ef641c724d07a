/** Blob endpoints: HEAD/GET (with Range) and DELETE, and the upload protocol (POST/PATCH/PUT/GET/DELETE). */
import { heldActions } from "./access.js";
import { authorize } from "./auth.js";
import type { RegistryDeps, RegistryRequest } from "./context.js";
import { RegistryError } from "./errors.js";
import { drain, parseRange, send } from "./http.js";
import { checkDigest, isRepoName } from "./names.js";
import { ensureRepo, findRepo, findRepoRef, findRepoWithBlob, repoBlobSize, teamOfNamespace, type RepoRef } from "./repos.js";
import { sendFileSpan } from "./send-file.js";
import { parseContentRange, rangeHeaders, type UploadLimit, type UploadRow } from "./uploads.js";
import { namespaceOf } from "./names.js";
import { describeUse, diskRoom, humanSize } from "../teams/disk.js";
import { formatSize } from "../teams/quota.js";

const blobUnknown = (digest: string) => new RegistryError("BLOB_UNKNOWN", `blob unknown to registry: ${digest}`, { detail: { digest } });
const nameUnknown = (name: string) => new RegistryError("NAME_UNKNOWN", `repository name not known to registry: ${name}`, { detail: { name } });

export async function getBlob(deps: RegistryDeps, r: RegistryRequest, name: string, digestParam: string): Promise<void> {
  const digest = checkDigest(digestParam);
  const { repo, hasBlob } = findRepoWithBlob(deps.db, name, digest);
  authorize(r.req, r.caller, name, "pull", repo);
  if (!repo) throw nameUnknown(name);
  if (!hasBlob) throw blobUnknown(digest);
  let size: number;
  try {
    size = await deps.store.size(digest);
  } catch {
    throw blobUnknown(digest);
  }
  const headers: Record<string, string | number> = {
    "content-type": "application/octet-stream",
    "docker-content-digest": digest,
    "accept-ranges": "bytes",
    etag: `"${digest}"`,
    "cache-control": "max-age=31536000",
  };
  const range = parseRange(r.req.headers.range, size);
  if (range === "unsatisfiable") {
    return send(r.res, 416, { ...headers, "content-range": `bytes */${size}` }, undefined, r.head);
  }
  const span = range ?? { start: 0, end: size - 1 };
  const length = size === 0 ? 0 : span.end - span.start + 1;
  const status = range ? 206 : 200;
  if (range) headers["content-range"] = `bytes ${span.start}-${span.end}/${size}`;
  headers["content-length"] = length;
  r.res.writeHead(status, headers);
  if (r.head || length === 0) return void r.res.end();
  await sendFileSpan(r.res, deps.store.blobPath(digest), span.start, span.end);
}

export async function deleteBlob(deps: RegistryDeps, r: RegistryRequest, name: string, digestParam: string): Promise<void> {
  const digest = checkDigest(digestParam);
  const repo = await findRepo(deps.db, name);
  authorize(r.req, r.caller, name, "delete", repo);
  if (!repo) throw nameUnknown(name);
  const { count } = await deps.db.repoBlob.deleteMany({ where: { repositoryId: repo.id, digest } });
  if (count === 0) throw blobUnknown(digest);
  deps.log.info({ repository: name, digest }, "registry: blob deleted");
  send(r.res, 202, { "docker-content-digest": digest });
}

/** Records that repository `name` holds a blob (creating the repository on its first push). */
async function registerBlob(deps: RegistryDeps, r: RegistryRequest, name: string, known: RepoRef | null, digest: string, size: number, how: "uploaded" | "mounted"): Promise<void> {
  deps.log.info({ repository: name, digest, size, user: r.caller.principal.name }, `registry: blob ${how}`);
  const repo = known ?? (await ensureRepo(deps.db, name, r.caller.principal));
  // Plain SQL (every blob of a push records one); the same blob recorded twice at once is no error.
  await deps.db.$executeRaw`
    INSERT INTO "RepoBlob" ("repositoryId", "digest", "size", "createdAt") VALUES (${repo.id}, ${digest}, ${BigInt(size)}, ${new Date()})
    ON CONFLICT ("repositoryId", "digest") DO NOTHING`;
}

function created(r: RegistryRequest, name: string, digest: string): void {
  send(r.res, 201, { location: `/v2/${name}/blobs/${digest}`, "docker-content-digest": digest });
}

/** True if the request has a body to read (a PUT may finish an upload with or without one). */
const hasBody = (r: RegistryRequest) =>
  Number(r.req.headers["content-length"] ?? 0) > 0 || /chunked/i.test(String(r.req.headers["transfer-encoding"] ?? ""));

/** Content-Range/Content-Length of a chunk: its start and announced length. */
function chunkOf(r: RegistryRequest): { start?: number; length?: number } {
  const cr = parseContentRange(r.req.headers["content-range"]);
  if (cr === "invalid") throw new RegistryError("BLOB_UPLOAD_INVALID", `invalid Content-Range "${r.req.headers["content-range"]}": want <start>-<end>`);
  if (!cr) return {};
  const length = cr.end - cr.start + 1;
  const declared = r.req.headers["content-length"];
  if (declared !== undefined && Number(declared) !== length) {
    throw new RegistryError("BLOB_UPLOAD_INVALID", `Content-Range ${cr.start}-${cr.end} is ${length} bytes, but Content-Length is ${declared}`);
  }
  return { start: cr.start, length };
}

/**
 * The repository's team's disk quota as a limit on what a push may add (undefined: the team has
 * no disk quota). Over it, the push is refused with DENIED naming the quota, and the upload is
 * dropped with its bytes.
 */
async function quotaLimit(deps: RegistryDeps, name: string, repo: { teamId: string | null } | null, exceptUpload?: string): Promise<(UploadLimit & { teamId: string }) | undefined> {
  const teamId = repo?.teamId ?? (await teamOfNamespace(deps.db, namespaceOf(name)));
  if (!teamId) return undefined;
  // Most teams have no disk quota: one plain read says so on each POST, PATCH and PUT of a push
  // (a Prisma model query costs several times the SQL); a quota is measured in full below.
  const team = await deps.db.$queryRaw<{ maxDisk: unknown }[]>`SELECT "maxDisk" FROM "Team" WHERE "id" = ${teamId}`;
  if (team[0] && team[0].maxDisk === null) return undefined;
  const room = await diskRoom(deps.db, teamId, deps.volumeBytes, exceptUpload);
  if (!room) return undefined;
  return {
    teamId,
    max: room.quota - room.use.total,
    error: (size) =>
      new RegistryError(
        "DENIED",
        `push to ${name} refused: team ${room.team} is at its disk quota of ${formatSize(room.quota)} (it holds ${humanSize(room.use.total)}: ${describeUse(room.use)}; this blob needs ${humanSize(size)}); remove images or registry tags, or ask the site admin to raise it (berth team quota ${room.team} --disk SIZE)`,
        { detail: { team: room.team, quota: room.quota, used: room.use.total } },
      ),
  };
}

const isQuotaRefusal = (e: unknown) => e instanceof RegistryError && e.code === "DENIED";

/** POST /v2/<name>/blobs/uploads/: cross-repository mount, monolithic upload (?digest=), or a new upload session. */
export async function startUpload(deps: RegistryDeps, r: RegistryRequest, name: string): Promise<void> {
  const repo = findRepoRef(deps.db, name);
  authorize(r.req, r.caller, name, "push", repo);
  const q = r.url.searchParams;
  const mount = q.get("mount");
  const from = q.get("from");
  if (mount) {
    const digest = checkDigest(mount);
    if (from && isRepoName(from) && from !== name) {
      const src = findRepoRef(deps.db, from);
      const granted = r.caller.granted ? r.caller.granted.get(from)?.has("pull") : true;
      if (src && granted && heldActions(r.caller.principal, from, src).has("pull")) {
        const size = repoBlobSize(deps.db, src.id, digest);
        if (size !== undefined && (await deps.store.has(digest))) {
          drain(r.req);
          // A digest the team already holds in another repository takes no more room.
          const limit = await quotaLimit(deps, name, repo);
          if (limit && size > limit.max && !(await deps.db.repoBlob.findFirst({ where: { digest, repository: { teamId: limit.teamId } }, select: { digest: true } }))) throw limit.error(size);
          await registerBlob(deps, r, name, repo, digest, size, "mounted");
          return created(r, name, digest);
        }
      }
    } else if (repo && repoBlobSize(deps.db, repo.id, digest) !== undefined) {
      // Already here.
      drain(r.req);
      return created(r, name, digest);
    }
    // Not mountable: fall back to an upload session, as the spec says.
  }
  const digestParam = q.get("digest");
  const digest = digestParam === null ? undefined : checkDigest(digestParam);
  const limit = await quotaLimit(deps, name, repo);
  if (limit && limit.max <= 0) {
    drain(r.req);
    throw limit.error(Number(r.req.headers["content-length"] ?? 1) || 1);
  }
  const up = await deps.uploads.start(name, r.caller.principal.id);
  if (digest) {
    try {
      await deps.uploads.append(up, r.req, undefined, undefined, limit);
      const out = await deps.uploads.finish(up, digest);
      await registerBlob(deps, r, name, repo, out.digest, out.size, "uploaded");
    } catch (e) {
      await deps.uploads.cancel(up).catch(() => {});
      throw e;
    }
    return created(r, name, digest);
  }
  drain(r.req);
  send(r.res, 202, rangeHeaders(up.id, name, 0));
}

async function upload(deps: RegistryDeps, r: RegistryRequest, name: string, id: string): Promise<{ up: UploadRow; repo: RepoRef | null }> {
  const repo = findRepoRef(deps.db, name);
  authorize(r.req, r.caller, name, "push", repo);
  return { up: await deps.uploads.get(id, name), repo };
}

/** Appends a chunk within the team's disk quota: over it, the whole upload is dropped. */
async function appendWithin(deps: RegistryDeps, r: RegistryRequest, name: string, up: UploadRow, repo: RepoRef | null): Promise<number> {
  const chunk = chunkOf(r);
  const limit = await quotaLimit(deps, name, repo, up.id);
  try {
    return await deps.uploads.append(up, r.req, chunk.start, chunk.length, limit);
  } catch (e) {
    if (isQuotaRefusal(e)) await deps.uploads.cancel(up);
    throw e;
  }
}

/** PATCH: appends a chunk (streamed; Content-Range, when sent, must continue where the upload stands). */
export async function patchUpload(deps: RegistryDeps, r: RegistryRequest, name: string, id: string): Promise<void> {
  const { up, repo } = await upload(deps, r, name, id);
  const size = await appendWithin(deps, r, name, up, repo);
  send(r.res, 202, rangeHeaders(id, name, size));
}

/** PUT ?digest=: the last chunk (optional), then the digest check and publication. */
export async function finishUpload(deps: RegistryDeps, r: RegistryRequest, name: string, id: string): Promise<void> {
  const { up, repo } = await upload(deps, r, name, id);
  const digestParam = r.url.searchParams.get("digest");
  if (!digestParam) throw new RegistryError("DIGEST_INVALID", "the digest query parameter is required to finish an upload");
  const digest = checkDigest(digestParam);
  if (hasBody(r)) await appendWithin(deps, r, name, up, repo);
  else {
    drain(r.req);
    // The quota may have been lowered (or filled by another push) since the last chunk.
    const limit = await quotaLimit(deps, name, repo, up.id);
    if (limit && up.size > limit.max) {
      await deps.uploads.cancel(up);
      throw limit.error(up.size);
    }
  }
  const out = await deps.uploads.finish(up, digest);
  await registerBlob(deps, r, name, repo, out.digest, out.size, "uploaded");
  created(r, name, digest);
}

export async function uploadStatus(deps: RegistryDeps, r: RegistryRequest, name: string, id: string): Promise<void> {
  const { up } = await upload(deps, r, name, id);
  send(r.res, 204, rangeHeaders(id, name, up.size));
}

export async function cancelUpload(deps: RegistryDeps, r: RegistryRequest, name: string, id: string): Promise<void> {
  const { up } = await upload(deps, r, name, id);
  await deps.uploads.cancel(up);
  send(r.res, 204);
}
