/**
 * Push webhooks from outside repositories: which forge sent one, whether its signature is the
 * project's secret, and what it asks for. GitHub signs the body (X-Hub-Signature-256:
 * sha256=<hex HMAC-SHA256>), Gitea too (X-Gitea-Signature: <hex>), GitLab sends the secret
 * itself (X-Gitlab-Token). Pure functions: webhook-http.ts does the fetching.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export type Forge = "github" | "gitlab" | "gitea";

export type Verdict = { ok: true; forge: Forge } | { ok: false; reason: string };

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Compares in constant time (lengths may differ: then unequal). */
function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const hmacHex = (secret: string, body: Buffer) => createHmac("sha256", secret).update(body).digest("hex");

/** Checks the request's signature against the project's secret. Gitea also sends GitHub's header: its own wins. */
export function verifyWebhook(headers: IncomingHttpHeaders, body: Buffer, secret: string): Verdict {
  const gitea = header(headers, "x-gitea-signature");
  if (gitea !== undefined) return same(gitea.trim().toLowerCase(), hmacHex(secret, body)) ? { ok: true, forge: "gitea" } : { ok: false, reason: "X-Gitea-Signature does not match the project's webhook secret" };
  const github = header(headers, "x-hub-signature-256");
  if (github !== undefined) return same(github.trim().toLowerCase(), `sha256=${hmacHex(secret, body)}`) ? { ok: true, forge: "github" } : { ok: false, reason: "X-Hub-Signature-256 does not match the project's webhook secret" };
  const gitlab = header(headers, "x-gitlab-token");
  if (gitlab !== undefined) return same(gitlab, secret) ? { ok: true, forge: "gitlab" } : { ok: false, reason: "X-Gitlab-Token is not the project's webhook secret" };
  return { ok: false, reason: "the webhook is not signed: set the project's webhook secret in the forge (GitHub/Gitea: secret, GitLab: secret token)" };
}

/**
 * What the webhook asks: fetch the branches (a push, or anything else: a sync is always safe), or
 * one pull/merge request's head into the branch `pr-N`/`mr-N` — untrusted when it comes from
 * another repository (a fork) — or that branch's removal when the request is closed.
 */
export type WebhookAction =
  | { kind: "ping" }
  | { kind: "sync" }
  | { kind: "pull"; ref: string; branch: string; trusted: boolean }
  | { kind: "pull-closed"; branch: string };

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === "object" ? (v as Json) : {});

export function webhookAction(forge: Forge, headers: IncomingHttpHeaders, payload: unknown): WebhookAction {
  const p = obj(payload);
  if (forge === "gitlab") {
    if (header(headers, "x-gitlab-event") !== "Merge Request Hook") return { kind: "sync" };
    const mr = obj(p.object_attributes);
    const iid = Number(mr.iid);
    if (!Number.isInteger(iid) || iid < 1) return { kind: "sync" };
    const branch = `mr-${iid}`;
    if (mr.action === "close" || mr.action === "merge" || mr.state === "closed" || mr.state === "merged") return { kind: "pull-closed", branch };
    return { kind: "pull", ref: `refs/merge-requests/${iid}/head`, branch, trusted: mr.source_project_id !== undefined && mr.source_project_id === mr.target_project_id };
  }
  const event = header(headers, forge === "gitea" ? "x-gitea-event" : "x-github-event");
  if (event === "ping") return { kind: "ping" };
  if (event !== "pull_request") return { kind: "sync" };
  const pr = obj(p.pull_request);
  const n = Number(p.number ?? pr.number);
  if (!Number.isInteger(n) || n < 1) return { kind: "sync" };
  const branch = `pr-${n}`;
  if (p.action === "closed") return { kind: "pull-closed", branch };
  const head = obj(obj(pr.head).repo).full_name;
  const base = obj(obj(pr.base).repo).full_name;
  return { kind: "pull", ref: `refs/pull/${n}/head`, branch, trusted: typeof head === "string" && head === base };
}
