/**
 * The other end of the post-receive hook (hook-client.ts): a push that git/http.ts let through
 * gets a one-time secret, passed to git (and so to its hook) in the environment. The hook posts
 * the updated refs here with it; each branch goes through handlePush and its lines stream back.
 *
 * Why a loopback HTTP call and not the BullMQ queue: the hook is a child of this very process,
 * the answer must stream back to it while the deploy runs, and the secret lives only in this
 * process's memory for as long as that one push — nothing else can start a deploy through it.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import type { Services } from "../services.js";
import { handlePush } from "../projects/push.js";

export const HOOK_PATH = "/git/-/hook";
const HEADER = "x-berth-hook-secret";
const MAX_BODY = 1024 * 1024;

interface PushGrant {
  teamId: string;
  project: string;
  /** Who pushed (their releases say so). */
  pushedBy?: { id: string; name: string };
}

const grants = new Map<string, PushGrant>();

/** The environment for one authorized push's git: the hook finds its way back with it. Call the returned function when git is done. */
export function grantPush(g: PushGrant, req: IncomingMessage): { env: Record<string, string>; done: () => void } {
  const secret = randomBytes(24).toString("hex");
  grants.set(secret, g);
  // The address this request came in on is one this server listens on (loopback for a local push).
  let host = req.socket.localAddress ?? "127.0.0.1";
  if (host.startsWith("::ffff:")) host = host.slice(7);
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${req.socket.localPort}${HOOK_PATH}`;
  return {
    env: {
      BERTH_HOOK_URL: url,
      BERTH_HOOK_SECRET: secret,
      BERTH_NODE: process.execPath,
      BERTH_HOOK_CLIENT: fileURLToPath(new URL("./hook-client.js", import.meta.url)),
    },
    done: () => grants.delete(secret),
  };
}

function grantFor(given: string | undefined): PushGrant | undefined {
  if (!given) return undefined;
  for (const [secret, g] of grants) {
    const a = Buffer.from(secret);
    const b = Buffer.from(given);
    if (a.length === b.length && timingSafeEqual(a, b)) return g;
  }
  return undefined;
}

/** Handles HOOK_PATH; false for any other path. */
export function hookHttpHandler(s: Services): (req: IncomingMessage, res: ServerResponse, pathname: string) => boolean {
  return (req, res, pathname) => {
    if (pathname !== HOOK_PATH) return false;
    const grant = req.method === "POST" ? grantFor(req.headers[HEADER] as string | undefined) : undefined;
    if (!grant) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end("not found\n");
      req.resume();
      return true;
    }
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on("end", () => void answer(s, grant, Buffer.concat(chunks).toString("utf8"), res));
    return true;
  };
}

const ZERO = /^0+$/;

async function answer(s: Services, grant: PushGrant, body: string, res: ServerResponse): Promise<void> {
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
  res.flushHeaders();
  const line = (l: string) => res.write(`${l}\n`);
  try {
    for (const entry of body.split("\n")) {
      const [oldSha, newSha, ref] = entry.trim().split(/\s+/);
      if (!oldSha || !newSha || !ref) continue;
      if (!ref.startsWith("refs/heads/")) {
        line(`${ref}: stored (only branches get previews)`);
        continue;
      }
      const branch = ref.slice("refs/heads/".length);
      await handlePush(s, { teamId: grant.teamId, project: grant.project, branch, oldSha, newSha, deleted: ZERO.test(newSha), trusted: true, onLine: line, pushedBy: grant.pushedBy });
    }
  } catch (err) {
    s.log.error({ err, project: grant.project }, "handling a push failed");
    line(`failed: ${(err as Error).message}`);
  } finally {
    res.end();
  }
}
