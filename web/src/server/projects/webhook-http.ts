/**
 * POST /git/<team>/<project>/webhook: an outside repository's forge tells Berth of a push (or a
 * pull request). No user signs it: the project's webhook secret does (webhook.ts checks it
 * before anything else is done). Berth then fetches from the upstream and deploys what changed,
 * after answering — a forge waits only seconds.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { recordAudit, requestOrigin } from "../audit/index.js";
import { sendJson } from "../errors.js";
import type { Services } from "../services.js";
import { deployChanges, dropBranch, fetchBranches, fetchRequest, type BranchChange } from "./upstream.js";
import { verifyWebhook, webhookAction } from "./webhook.js";

export const WEBHOOK_PATH = /^\/git\/([^/]+)\/([^/]+)\/webhook$/;
const MAX_PAYLOAD = 8 * 1024 * 1024;
const REFUSED = "webhook refused: no project here follows an outside repository with this secret (check the URL, and the secret berth project create --from or set-upstream printed; the audit log says which)";

const error = (res: ServerResponse, status: number, kind: string, message: string) => sendJson(res, status, { error: { kind, message } });

export function webhookHttpHandler(s: Services): (req: IncomingMessage, res: ServerResponse, pathname: string) => boolean {
  return (req, res, pathname) => {
    const m = WEBHOOK_PATH.exec(pathname);
    if (!m) return false;
    if (req.method !== "POST") {
      res.setHeader("allow", "POST");
      error(res, 405, "InvalidArgument", "a webhook is a POST");
      req.resume();
      return true;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_PAYLOAD) chunks.push(c);
    });
    req.on("end", () => {
      if (size > MAX_PAYLOAD) return error(res, 413, "InvalidArgument", `a webhook payload is at most ${MAX_PAYLOAD} bytes`);
      void receive(s, req, res, decodeURIComponent(m[1]!), decodeURIComponent(m[2]!), Buffer.concat(chunks)).catch((err: unknown) => {
        s.log.error({ err, path: pathname }, "webhook failed");
        if (!res.headersSent) error(res, 500, "Internal", "internal error");
      });
    });
    return true;
  };
}

async function receive(s: Services, req: IncomingMessage, res: ServerResponse, teamName: string, name: string, body: Buffer): Promise<void> {
  const team = await s.db.team.findUnique({ where: { name: teamName }, select: { id: true, name: true } });
  const project = team ? await s.db.project.findUnique({ where: { teamId_name: { teamId: team.id, name } } }) : null;
  // An unknown project, one that follows no outside repository and a wrong signature answer
  // alike, so no one learns which projects exist; the audit log keeps the reason.
  if (!team || !project || !project.webhookSecret || !project.upstreamUrl) return error(res, 401, "Unauthenticated", REFUSED);
  const verdict = verifyWebhook(req.headers, body, project.webhookSecret);
  const audit = (result: string, detail: string) => recordAudit(s.db, s.log, { actorId: null, actorName: "webhook", teamId: team.id, teamName: team.name, action: "project.webhook", target: name, result, detail }, requestOrigin(req));
  if (!verdict.ok) {
    await audit("Unauthenticated", verdict.reason);
    return error(res, 401, "Unauthenticated", REFUSED);
  }
  let payload: unknown = {};
  try {
    payload = body.length ? JSON.parse(body.toString("utf8")) : {};
  } catch {
    // GitHub may send form-encoded payloads: the headers still say what happened, a sync covers it
  }
  const action = webhookAction(verdict.forge, req.headers, payload);
  if (action.kind === "ping") return sendJson(res, 200, { ok: true, forge: verdict.forge, branches: [] });
  let changes: BranchChange[];
  try {
    changes = action.kind === "sync" ? await fetchBranches(project) : action.kind === "pull" ? await fetchRequest(project, action.ref, action.branch, action.trusted) : await dropBranch(project, action.branch);
  } catch (err) {
    await audit("FailedPrecondition", (err as Error).message);
    return error(res, 502, "FailedPrecondition", (err as Error).message);
  }
  await audit("ok", `${verdict.forge} ${action.kind}: ${changes.map((c) => c.branch).join(", ") || "nothing changed"}`);
  sendJson(res, 202, { ok: true, forge: verdict.forge, branches: changes.map((c) => ({ branch: c.branch, sha: c.newSha, deleted: c.deleted, trusted: c.trusted })) });
  void deployChanges(s, project, changes, (line) => s.log.info({ project: name, team: team.name }, line)).catch((err: unknown) => s.log.error({ err, project: name }, "deploying a webhook's changes failed"));
}
