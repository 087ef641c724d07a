import { formatFreezeAfter, parseFreezeAfter } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";

/** A team's idle-freeze setting as the CLI and the dashboard show it. */
export interface TeamFreeze {
  team: string;
  /** Idle time before a stack freezes, in ms; 0: never. */
  freezeAfterMs: number;
  /** The same, written as `team set --freeze-after` takes it ("30m", "off"). */
  freezeAfter: string;
}

const shown = (t: { name: string; freezeAfterMs: number }): TeamFreeze => ({ team: t.name, freezeAfterMs: t.freezeAfterMs, freezeAfter: formatFreezeAfter(t.freezeAfterMs) });

export async function readTeamFreeze(db: PrismaClient, teamId: string): Promise<TeamFreeze> {
  return shown(await db.team.findUniqueOrThrow({ where: { id: teamId }, select: { name: true, freezeAfterMs: true } }));
}

/**
 * Sets how long the team's stacks may idle before they freeze ("30m"; "off" or "0": never). A
 * stack's own x-berth.freeze_after still wins; the worker's next sweep uses the new value.
 */
export async function setTeamFreeze(db: PrismaClient, teamId: string, freezeAfter: string): Promise<TeamFreeze> {
  const ms = parseFreezeAfter(freezeAfter, "--freeze-after");
  return shown(await db.team.update({ where: { id: teamId }, data: { freezeAfterMs: ms }, select: { name: true, freezeAfterMs: true } }));
}
