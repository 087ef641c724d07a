import path from "node:path";
import { PermissionDenied, type BerthError, type ContainerOptions } from "@berth/core";
import type { Actor } from "./actor.js";

/** Docker's default capability set: adding one of these changes nothing, so anyone may name it. */
export const DEFAULT_CAPS: ReadonlySet<string> = new Set([
  "CHOWN",
  "DAC_OVERRIDE",
  "FSETID",
  "FOWNER",
  "MKNOD",
  "NET_RAW",
  "SETGID",
  "SETUID",
  "SETFCAP",
  "SETPCAP",
  "NET_BIND_SERVICE",
  "SYS_CHROOT",
  "KILL",
  "AUDIT_WRITE",
]);

/** A host path the site admin lets a team bind-mount (`berth team allow-path`). */
export interface HostPathGrant {
  path: string;
  readOnly: boolean;
}

/** A host path with `..`, `.` and repeated slashes folded (symlinks are the worker's to follow). */
export const normalHostPath = (p: string) => path.posix.resolve("/", p);

const under = (p: string, root: string) => {
  const r = normalHostPath(root);
  return p === r || p.startsWith(r === "/" ? "/" : `${r}/`);
};

/** The grant that holds host path `source` (the deepest, when grants nest), if any. */
export function grantFor(source: string, grants: readonly HostPathGrant[]): HostPathGrant | undefined {
  const p = normalHostPath(source);
  return grants.filter((g) => under(p, g.path)).sort((a, b) => b.path.length - a.path.length)[0];
}

/**
 * Host-level power is the site admin's: for anyone else, the first option of a run or create
 * that reaches outside the container (a host path no grant of the team holds, a capability
 * beyond Docker's default set, the host's network). Options Berth does not have (--privileged,
 * --pid/--ipc host, devices, security-opt) are refused for everyone by ContainerOptions' strict
 * schema. This is the early, lexical answer; the worker resolves symlinks on the host before it
 * mounts anything (worker/src/containers/host-paths.ts).
 */
export function hostPowerRefusal(actor: Pick<Actor, "siteAdmin">, o: ContainerOptions | undefined, grants: readonly HostPathGrant[] = []): BerthError | undefined {
  if (actor.siteAdmin || !o) return undefined;
  const why = "host-level power is the site admin's";
  for (const m of o.mounts ?? []) {
    if (m.type !== "bind") continue;
    const resolved = normalHostPath(m.source);
    if (!grantFor(resolved, grants)) {
      const shown = resolved === (m.source.replace(/\/+$/, "") || "/") ? m.source : `${m.source} (that is ${resolved})`;
      return new PermissionDenied(`bind mount of host path ${shown} (-v/--mount type=bind) is refused: ${why}; use a named volume, or ask the site admin to allow this path for your team (berth team allow-path)`);
    }
  }
  for (const c of o.capAdd ?? []) {
    if (!DEFAULT_CAPS.has(c)) return new PermissionDenied(`--cap-add ${c} is refused: ${why} (only Docker's default capabilities may be named)`);
  }
  if (o.network === "host") return new PermissionDenied(`--network host is refused: ${why}; use the bridge or a network of your own`);
  return undefined;
}
