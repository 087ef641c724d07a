/**
 * The image commands' side of the server: tRPC procedures under `image.*` (typed against the
 * server's router, so drift stops compilation) and the streaming HTTP routes for archives
 * (save, load, import, export), which carry tars too big for JSON.
 */
import http from "node:http";
import https from "node:https";
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createTRPCClient, httpLink } from "@trpc/client";
import type { AppRouter } from "@berth/web/router";
import { CliError, codeForKind, unauthorizedMessage } from "./errors.js";
import { httpFetch } from "./http-fetch.js";
import { tlsOptions } from "./tls-trust.js";
import { teamHeader } from "./credentials.js";

export interface HistoryRow {
  id: string;
  created: string | null;
  createdBy: string;
  size: number;
  comment: string;
}

export interface RemoveResult {
  untagged: string[];
  deleted: string[];
}

export interface PruneResult {
  deleted: { untagged?: string; deleted?: string }[];
  spaceReclaimed: number;
}

export interface DiskUsage {
  images: { total: number; active: number; size: number; reclaimable: number };
  containers: { total: number; active: number; size: number; reclaimable: number };
  content: { blobs: number; blobBytes: number; snapshots: number; snapshotBytes: number };
}

/** The image procedures as the tRPC proxy client exposes them. */
export interface ImageProcedures {
  image: {
    inspect: { query(input: { refs: string[] }): Promise<Record<string, unknown>[]> };
    history: { query(input: { ref: string }): Promise<HistoryRow[]> };
    tag: { mutate(input: { source: string; target: string }): Promise<{ id: string; ref: string }> };
    remove: { mutate(input: { ref: string; force?: boolean }): Promise<RemoveResult> };
    prune: { mutate(input: { all?: boolean }): Promise<PruneResult> };
    df: { query(): Promise<DiskUsage> };
  };
}

export interface ImageSession {
  url: string;
  token: string;
  trpc: ImageProcedures;
}

export async function connectImages(): Promise<ImageSession> {
  const { connect } = await import("./client.js");
  const { url, token } = connect();
  const trpc: ImageProcedures = createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${url}/api/trpc`, headers: () => ({ ...(token ? { authorization: `Bearer ${token}` } : {}), ...teamHeader(url) }), fetch: httpFetch })],
  });
  return { url, token, trpc };
}

async function request(s: ImageSession, method: "GET" | "POST", route: string, query: [string, string][], headers: Record<string, string> = {}): Promise<http.ClientRequest> {
  const u = new URL(`${s.url.replace(/\/+$/, "")}${route}`);
  for (const [k, v] of query) u.searchParams.append(k, v);
  const mod = u.protocol === "https:" ? https : http;
  return mod.request(u, {
    ...(await tlsOptions(u)),
    method,
    headers: { ...(s.token ? { authorization: `Bearer ${s.token}` } : {}), ...teamHeader(s.url), ...(method === "POST" ? { "content-type": "application/x-tar", "transfer-encoding": "chunked" } : {}), ...headers },
  });
}

function responseOf(req: http.ClientRequest): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    req.once("response", resolve);
    req.once("error", reject);
  });
}

/** Turns a non-2xx answer into the CliError its JSON names ({error: {kind, message}}). */
async function failure(s: ImageSession, res: http.IncomingMessage): Promise<CliError> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (res.statusCode === 401) return new CliError("UNAUTHORIZED", unauthorizedMessage(s.url));
  try {
    const body = JSON.parse(text) as { error?: { kind?: string; message?: string } };
    if (body.error?.message) return new CliError(res.statusCode === 403 ? "FORBIDDEN" : codeForKind(body.error.kind), body.error.message);
  } catch {
    /* not ours */
  }
  return new CliError("BAD_RESPONSE", `unexpected response from the Berth server at ${s.url}: HTTP ${res.statusCode}`);
}

/** Streams `body` to a route; resolves with the 200 answer once the body is sent, else rejects with its error. */
async function send(s: ImageSession, route: string, query: [string, string][], body: Readable, headers: Record<string, string> = {}): Promise<http.IncomingMessage> {
  const req = await request(s, "POST", route, query, headers);
  const res = responseOf(req);
  // The server may answer (and refuse) before the body is sent: then the answer is what counts.
  const sent = pipeline(body, req).catch((e: unknown) => e);
  const r = await res;
  if (r.statusCode !== 200) {
    body.destroy();
    throw await failure(s, r);
  }
  const err = await sent;
  if (err) throw err;
  return r;
}

/** Streams `body` to a route that answers NDJSON progress (readProgress in progress-stream.ts reads it). */
export function uploadWithProgress(s: ImageSession, route: string, query: [string, string][], body: Readable): Promise<http.IncomingMessage> {
  return send(s, route, query, body, { accept: "application/x-ndjson" });
}

/** Streams `body` to a route and returns its JSON answer. */
export async function upload<T>(s: ImageSession, route: string, query: [string, string][], body: Readable): Promise<T> {
  const r = await send(s, route, query, body);
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8")) as T;
}

/** Streams a route's answer into `dest`; returns the byte count. */
export async function download(s: ImageSession, route: string, query: [string, string][], dest: Writable): Promise<number> {
  const req = await request(s, "GET", route, query);
  req.end();
  const r = await responseOf(req);
  if (r.statusCode !== 200) throw await failure(s, r);
  const expected = Number(r.headers["content-length"] ?? NaN);
  let got = 0;
  r.on("data", (c: Buffer) => (got += c.length));
  await pipeline(r, dest);
  if (Number.isFinite(expected) && got !== expected) throw new CliError("CONNECTION", `the download stopped after ${got} of ${expected} bytes`);
  return got;
}
