import type { PrismaClient } from "@berth/core/db";
import { isAlreadyExists, type Logger } from "@berth/core";
import { ensurePersonalTeam } from "../policy/index.js";
import { assertNameFree } from "../teams/index.js";
import { newRowId } from "./crypto.js";

/** What Berth reads from a verified ID token (and the userinfo answer). */
export interface OidcIdentity {
  subject: string;
  email: string | undefined;
  emailVerified: boolean;
  preferredName: string | undefined;
  /** Team names from the configured team claim (a string or a list of strings). */
  teams: string[];
}

/** A user name in the registry-namespace grammar made from a claim ("Jane.Doe@x" → "jane.doe"). */
export function nameFromClaim(raw: string): string {
  const base = raw.split("@", 1)[0]!.toLowerCase().replace(/[^a-z0-9._-]+/g, "-");
  const trimmed = base.replace(/^[._-]+|[._-]+$/g, "").replace(/[._-]{2,}/g, "-").slice(0, 56);
  return trimmed || "user";
}

/**
 * The Berth user for a verified identity: by subject first, then by a verified email (then the
 * subject is recorded), else a new user named after the preferred user name or email. New and
 * matched users join the teams the team claim names, as members; an unknown team is logged.
 */
export async function userForIdentity(db: PrismaClient, log: Logger, id: OidcIdentity): Promise<{ id: string; name: string; created: boolean }> {
  let user = await db.user.findUnique({ where: { oidcSubject: id.subject } });
  let created = false;
  if (!user && id.email && id.emailVerified) {
    const byEmail = await db.user.findUnique({ where: { email: id.email } });
    if (byEmail) {
      if (byEmail.oidcSubject && byEmail.oidcSubject !== id.subject) throw new Error(`the email ${id.email} belongs to a user linked to another OpenID subject`);
      user = await db.user.update({ where: { id: byEmail.id }, data: { oidcSubject: id.subject } });
    }
  }
  if (!user) {
    const name = await freeName(db, nameFromClaim(id.preferredName ?? id.email ?? `oidc-${id.subject}`));
    user = await db.user.create({
      data: { id: newRowId(), name, oidcSubject: id.subject, email: id.email && id.emailVerified ? id.email : null },
    });
    created = true;
    log.info({ user: name, subject: id.subject }, "user created at OpenID Connect sign-in");
  }
  await ensurePersonalTeam(db, user);
  for (const teamName of id.teams) {
    const team = await db.team.findFirst({ where: { name: teamName, personal: false } });
    if (!team) {
      log.warn({ user: user.name, team: teamName }, "OpenID Connect team claim names no team: create it with `berth team create`");
      continue;
    }
    // Joining never changes a role the user already holds there.
    await db.teamMember.upsert({ where: { teamId_userId: { teamId: team.id, userId: user.id } }, create: { teamId: team.id, userId: user.id, role: "member" }, update: {} });
  }
  return { id: user.id, name: user.name, created };
}

/** `base`, else `base-2`, `base-3`…: user and team names share one namespace. */
async function freeName(db: PrismaClient, base: string): Promise<string> {
  for (let i = 1; i < 100; i++) {
    const candidate = i === 1 ? base : `${base}-${i}`;
    try {
      await assertNameFree(db, candidate);
      return candidate;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }
  throw new Error(`no free user name near "${base}"`);
}
