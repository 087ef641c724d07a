import type { BerthEvent } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import type { AuthUser } from "../auth/index.js";

/** How long a subscriber's team list is trusted: joining or leaving a team shows in its events within this. */
const FRESH_MS = 5_000;

interface Teams {
  all: boolean;
  ids: ReadonlySet<string>;
  at: number;
}

/**
 * Whose events one subscriber (a socket, a `berth events` read) may see: the site admin every
 * team's; a token limited to a team only that team's; anyone else the teams they are a member
 * of. A shared base image's events (teamId null) reach everyone; an event naming no team
 * reaches only the site admin, so a publisher that forgets the team leaks nothing.
 * A subscriber that names its current team (the dashboard's `/t/[team]`, the CLI's current team)
 * sees only that team's events out of those: a page of one team must not list another's.
 */
export class EventAudience {
  private teams: Promise<Teams> | undefined;

  constructor(
    private readonly db: PrismaClient,
    private readonly user: AuthUser,
    private readonly team?: string,
  ) {}

  async sees(ev: Pick<BerthEvent, "teamId">): Promise<boolean> {
    const t = await this.current();
    if (t.all || ev.teamId === null) return true;
    return ev.teamId !== undefined && t.ids.has(ev.teamId);
  }

  private current(): Promise<Teams> {
    const cached = this.teams;
    if (!cached) return (this.teams = this.load());
    // Stale: the next event waits for a fresh list (events stay in order: each waits on the one in flight).
    return cached.then((t) => (Date.now() - t.at < FRESH_MS ? t : this.teams === cached ? (this.teams = this.load()) : this.teams!));
  }

  /** A failed look-up is not kept: the next event asks again. */
  private load(): Promise<Teams> {
    const p = this.read();
    p.catch(() => {
      if (this.teams === p) this.teams = undefined;
    });
    return p;
  }

  private async read(): Promise<Teams> {
    const all = await this.allowed();
    if (this.team === undefined) return all;
    const row = await this.db.team.findUnique({ where: { name: this.team }, select: { id: true } });
    const ids = new Set(row && (all.all || all.ids.has(row.id)) ? [row.id] : []);
    return { all: false, ids, at: all.at };
  }

  private async allowed(): Promise<Teams> {
    const at = Date.now();
    if (this.user.teamId) return { all: false, ids: new Set([this.user.teamId]), at };
    if (this.user.isAdmin) return { all: true, ids: new Set(), at };
    const rows = await this.db.teamMember.findMany({ where: { userId: this.user.id }, select: { teamId: true } });
    return { all: false, ids: new Set(rows.map((r) => r.teamId)), at };
  }
}
