/**
 * `push` and `pull` as streaming routes beside the archive ones (http.ts): the answer is
 * NDJSON, one `{"progress":{id,status}}` line per event as the worker reports it (Docker's
 * "abc123: Pushed"), then `{"result":…}` or `{"error":{kind,message}}`.
 *
 *   POST /api/images/push   {ref: "host[:port]/repo[:tag]", creds?: {username, password}}
 *   POST /api/images/pull   {ref: "host[:port]/repo[:tag|@digest]", creds?: {username, password}}
 *
 * Credentials never enter a job payload (Redis keeps payloads in the clear, and failed jobs
 * for a day): they are stored under a random key with a 10-minute TTL and only the key is
 * passed; the worker reads and deletes it (GETDEL) as the job starts.
 *
 * Without `creds`, a transfer to this Berth's own registry goes as the caller: the API token
 * the request came with (BERTH_TOKEN, or the one `berth login` stored) is the registry password.
 */
import { randomUUID } from "node:crypto";
import type { Actor } from "../policy/index.js";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import {
  InvalidArgument,
  JOB_REGISTRY,
  parseImageRef,
  REGISTRY_CREDENTIAL_PREFIX,
  REGISTRY_CREDENTIAL_TTL_S,
  type ImagePullResult,
  type ImagePushResult,
} from "@berth/core";
import { bearerToken } from "../auth/index.js";
import type { Services } from "../services.js";
import { imageHost, streamJob } from "./jobs.js";
import { resolveImage } from "@berth/core";

const TRANSFER_TIMEOUT_MS = 6 * 3600_000;

const Body = z.object({
  ref: z.string().trim().min(1).max(512),
  creds: z.object({ username: z.string().min(1).max(256), password: z.string().min(1).max(4096) }).optional(),
});

async function readBody(req: IncomingMessage): Promise<z.infer<typeof Body>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 64 * 1024) throw new InvalidArgument("the request body is too large");
    chunks.push(c as Buffer);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new InvalidArgument('send a JSON body: {"ref": "host/repo:tag"}');
  }
  const r = Body.safeParse(json);
  if (!r.success) throw new InvalidArgument(`invalid request: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return r.data;
}

/** Puts the credential where the worker can take it once; returns the key for the payload. */
export async function stashCredential(s: Services, creds: { username: string; password: string } | undefined): Promise<string | undefined> {
  if (!creds) return undefined;
  const key = randomUUID();
  await s.redis.set(`${REGISTRY_CREDENTIAL_PREFIX}${key}`, JSON.stringify(creds), "EX", REGISTRY_CREDENTIAL_TTL_S);
  return key;
}

async function stream<T>(s: Services, res: ServerResponse, name: string, payload: object, key: string | undefined): Promise<void> {
  try {
    await streamJob<T>(s, res, name, payload, { hostId: await imageHost(s), timeoutMs: TRANSFER_TIMEOUT_MS });
  } finally {
    if (key) await s.redis.del(`${REGISTRY_CREDENTIAL_PREFIX}${key}`).catch(() => undefined);
  }
}

const LOOPBACK_RE = /^(?:localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/** True when `registry` ("host[:port]") names this server: the host the request came to, or a loopback name for its port. */
export function isThisServer(registry: string, req: Pick<IncomingMessage, "headers" | "socket">): boolean {
  // The Host header only (not X-Forwarded-Host, which any client may set): a token is never lent on a header's word alone.
  const host = String(req.headers.host ?? "").trim().toLowerCase();
  const reg = registry.toLowerCase();
  if (host && reg === host) return true;
  const m = /^(.*?)(?::(\d+))?$/.exec(reg);
  return !!m && LOOPBACK_RE.test(m[1]!) && Number(m[2] ?? 80) === req.socket.localPort;
}

/** The caller's own API token as registry credentials, for this server's registry (see the header). */
export function callerCreds(req: IncomingMessage, userName: string, registry: string | undefined): { username: string; password: string } | undefined {
  if (!registry || !isThisServer(registry, req)) return undefined;
  // Only a request made with a Bearer API token lends it (a browser session has none to lend).
  const token = bearerToken(req.headers);
  return token ? { username: userName, password: token } : undefined;
}

export async function pushRoute(s: Services, req: IncomingMessage, res: ServerResponse, _url: URL, actor: Actor): Promise<void> {
  const body = await readBody(req);
  const r = parseImageRef(body.ref);
  if (!r.registry) throw new InvalidArgument(`push needs a registry host in the name, e.g. 127.0.0.1:3000/${r.name}:${r.tag}`);
  if (r.digest) throw new InvalidArgument("push a tag, not a digest");
  const ref = `${r.name}:${r.tag}`;
  const img = await resolveImage(s.db, { teamId: actor.team.id, siteAdmin: actor.siteAdmin }, ref);
  const key = await stashCredential(s, body.creds ?? callerCreds(req, actor.userName, r.registry));
  await stream<ImagePushResult>(s, res, JOB_REGISTRY.imagePush, { imageId: img.id, ref, ...(key ? { credentialKey: key } : {}) }, key);
}

export async function pullRoute(s: Services, req: IncomingMessage, res: ServerResponse, _url: URL, actor: Actor): Promise<void> {
  const body = await readBody(req);
  const r = parseImageRef(body.ref); // refuse a bad name before anything is queued
  const key = await stashCredential(s, body.creds ?? callerCreds(req, actor.userName, r.registry));
  await stream<ImagePullResult>(s, res, JOB_REGISTRY.imagePull, { ref: body.ref, teamId: actor.team.id, siteAdmin: actor.siteAdmin, ...(key ? { credentialKey: key } : {}) }, key);
}
