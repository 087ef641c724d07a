import fs from "node:fs/promises";
import path from "node:path";
import { InvalidArgument, PermissionDenied, type HostPathGrant, type MountSpec } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";

/**
 * The path `p` names on this host with every symlink and `..` followed. A missing tail (`-v`
 * makes missing directories) is kept as written below its deepest existing ancestor, which is
 * resolved: the tail holds no `..` once normalised, so it cannot climb out again.
 */
export async function realHostPath(p: string): Promise<string> {
  const norm = path.posix.resolve("/", p);
  const missing: string[] = [];
  let head = norm;
  for (;;) {
    try {
      const real = await fs.realpath(head);
      return missing.length ? path.posix.join(real, ...missing.reverse()) : real;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" || head === "/") throw err;
      missing.push(path.posix.basename(head));
      head = path.posix.dirname(head);
    }
  }
}

const within = (p: string, root: string) => p === root || p.startsWith(root === "/" ? "/" : `${root}/`);

/**
 * For a caller who is not the site admin: every bind source must resolve, on this host, to a
 * path the site admin granted the team or one below it (a grant of /srv/cache does not reach
 * /srv/cache/../other or a symlink in it pointing at /etc). The mount then names the resolved
 * path, so the runtime mounts what was checked, read-only when the grant says so.
 */
export async function confineBinds(mounts: MountSpec[], grants: readonly HostPathGrant[]): Promise<MountSpec[]> {
  const roots = await Promise.all(grants.map(async (g) => ({ ...g, real: await realHostPath(g.path).catch(() => undefined) })));
  const out: MountSpec[] = [];
  for (const m of mounts) {
    if (m.type !== "bind") {
      out.push(m);
      continue;
    }
    const real = await realHostPath(m.source).catch((err: NodeJS.ErrnoException) => {
      throw new InvalidArgument(`bind mount of host path ${m.source}: cannot resolve it on the host (${err.code ?? err.message})`, { cause: err });
    });
    const grant = roots.filter((g) => g.real !== undefined && within(real, g.real)).sort((a, b) => b.real!.length - a.real!.length)[0];
    if (!grant) {
      const shown = real === m.source ? m.source : `${m.source} (which resolves to ${real})`;
      throw new PermissionDenied(`bind mount of host path ${shown} (-v/--mount type=bind) is refused: host-level power is the site admin's, and no path granted to your team holds it; see berth team paths, or ask the site admin (berth team allow-path)`);
    }
    out.push({ ...m, source: real, readOnly: m.readOnly || grant.readOnly, confined: true });
  }
  return out;
}

/**
 * At each start, the binds a grant allowed are checked again against the team's grants now:
 * a grant taken back, or a directory under a read-write grant swapped for a symlink since the
 * container was created, refuses the start instead of mounting what was never checked.
 */
export async function recheckConfinedBinds(db: PrismaClient, teamId: string, mounts: MountSpec[]): Promise<MountSpec[]> {
  const confined = mounts.filter((m) => m.type === "bind" && m.confined);
  if (!confined.length) return mounts;
  const grants = await db.teamHostPath.findMany({ where: { teamId }, select: { path: true, readOnly: true } });
  const now = await confineBinds(confined, grants);
  return mounts.map((m) => {
    const i = confined.indexOf(m);
    if (i < 0) return m;
    const checked = now[i]!;
    if (checked.type === "bind" && m.type === "bind" && checked.source !== m.source) {
      throw new PermissionDenied(`bind mount of host path ${m.source} now resolves to ${checked.source} (a symlink was put in its path after the container was created): refused; re-create the container`);
    }
    return checked;
  });
}
