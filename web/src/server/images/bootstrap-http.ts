/**
 * POST /api/images/bootstrap {ref: "debian:<suite>", mirror?}: a base image made on a host with
 * debootstrap (once; an existing tag is returned). NDJSON like push/pull: `{"progress":{id,status}}`
 * per debootstrap line, then `{"result":{id,ref,cached,mirror?}}` or `{"error":{kind,message}}`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { ImageBootstrapJob, InvalidArgument, JOB_BOOTSTRAP, type ImageBootstrapResult } from "@berth/core";
import type { Services } from "../services.js";
import { imageHost, streamJob } from "./jobs.js";

/** A first bootstrap downloads and unpacks a whole base system. */
const BOOTSTRAP_TIMEOUT_MS = 3600_000;

async function readBody(req: IncomingMessage): Promise<ImageBootstrapJob> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 16 * 1024) throw new InvalidArgument("the request body is too large");
    chunks.push(c as Buffer);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new InvalidArgument('send a JSON body: {"ref": "debian:bookworm"}');
  }
  const input = z.object({ ref: z.string().trim().min(1).max(512), mirror: z.string().optional() }).safeParse(json);
  if (!input.success) throw new InvalidArgument('send a JSON body: {"ref": "debian:bookworm"}');
  // "debian" means "debian:latest" elsewhere; here a suite must be named.
  const r = ImageBootstrapJob.safeParse({ ...input.data, ref: input.data.ref.replace(/^docker\.io\/(library\/)?/, "") });
  if (!r.success) throw new InvalidArgument(`cannot bootstrap "${input.data.ref}": ${r.error.issues.map((i) => i.message).join("; ")}`);
  return r.data;
}

export async function bootstrapRoute(s: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const payload = await readBody(req);
  const result = await streamJob<ImageBootstrapResult>(s, res, JOB_BOOTSTRAP.imageBootstrap, payload, { hostId: await imageHost(s), timeoutMs: BOOTSTRAP_TIMEOUT_MS });
  if (result) s.log.info({ ...result }, "image bootstrap done");
}
