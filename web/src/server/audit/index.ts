import type { IncomingMessage } from "node:http";
import type { Logger } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";

/**
 * The audit log: one row per attempted state change, appended and never edited (the table's
 * triggers refuse UPDATE and DELETE; no procedure writes anything but an insert).
 */
export interface AuditEntry {
  actorId: string | null;
  actorName: string;
  teamId?: string | null;
  teamName?: string | null;
  action: string;
  target?: string;
  result: string;
  detail?: string;
}

/** Where a request came from: the peer address (a proxy's X-Forwarded-For first) and its client. */
export function requestOrigin(req: IncomingMessage | undefined): { address: string; client: string } {
  if (!req) return { address: "", client: "" };
  const fwd = String(req.headers["x-forwarded-for"] ?? "").split(",")[0]?.trim();
  const client = String(req.headers["x-berth-client"] ?? req.headers["user-agent"] ?? "").slice(0, 200);
  return { address: fwd || req.socket?.remoteAddress || "", client };
}

/** Appends one entry; a failure to write is logged, never hidden from the operator. */
export async function recordAudit(db: PrismaClient, log: Logger, e: AuditEntry, origin: { address: string; client: string }): Promise<void> {
  try {
    await db.auditEvent.create({
      data: {
        actorId: e.actorId,
        actorName: e.actorName,
        teamId: e.teamId ?? null,
        teamName: e.teamName ?? null,
        action: e.action,
        target: (e.target ?? "").slice(0, 1000),
        address: origin.address,
        client: origin.client,
        result: e.result,
        detail: (e.detail ?? "").slice(0, 2000),
      },
    });
  } catch (err) {
    log.error({ err, action: e.action, actor: e.actorName }, "could not append to the audit log");
  }
}

const TARGET_KEYS = ["id", "name", "ref", "image", "source", "target", "names", "refs", "ids", "container", "network", "user", "team", "path", "project", "env", "from", "to", "keys"] as const;

/** A short description of what a call acted on, from its input's usual fields. */
export function targetOf(input: unknown): string {
  if (!input || typeof input !== "object") return "";
  const o = input as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of TARGET_KEYS) {
    const v = o[k];
    if (typeof v === "string") parts.push(v);
    else if (Array.isArray(v)) parts.push(v.filter((x) => typeof x === "string").join(","));
    else if (typeof v === "number") parts.push(String(v));
  }
  // Config set: the names changed, never the values.
  if (o.values && typeof o.values === "object" && !Array.isArray(o.values)) parts.push(Object.keys(o.values).sort().join(","));
  return parts.join(" ");
}
