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

/** A host path the site admin lets a team bind-mount. */
export interface HostPathGrant {
  path: string;
  readOnly: boolean;
}

const under = (p: string, root: string) => {
  const r = root.replace(/\/+$/, "") || "/";
  return p === r || p.startsWith(r === "/" ? "/" : `${r}/`);
};

/**
 * Host-level power is the site admin's: for anyone else, the first option of a run or create
 * that reaches outside the container (a host path, a capability beyond Docker's default set,
 * the host's network). Options Berth does not have (--privileged, --pid/--ipc host, devices,
 * security-opt) are refused for everyone by ContainerOptions' strict schema.
 */
export function hostPowerRefusal(actor: Pick<Actor, "siteAdmin">, o: ContainerOptions | undefined, grants: readonly HostPathGrant[] = []): BerthError | undefined {
  if (actor.siteAdmin || !o) return undefined;
  const why = "host-level power is the site admin's";
  for (const m of o.mounts ?? []) {
    if (m.type !== "bind") continue;
    const src = m.source.replace(/\/+$/, "") || "/";
    if (src.split("/").includes("..")) return new PermissionDenied(`bind mount of host path ${m.source} is refused: the path must not contain ..`);
    const grant = grants.find((g) => under(src, g.path));
    if (!grant) return new PermissionDenied(`bind mount of host path ${m.source} (-v/--mount type=bind) is refused: ${why}; use a named volume, or ask the site admin to allow this path for your team`);
    if (grant.readOnly && !m.readOnly) return new PermissionDenied(`bind mount of host path ${m.source} must be read-only (:ro): the site admin allowed it read-only for your team`);
  }
  for (const c of o.capAdd ?? []) {
    if (!DEFAULT_CAPS.has(c)) return new PermissionDenied(`--cap-add ${c} is refused: ${why} (only Docker's default capabilities may be named)`);
  }
  if (o.network === "host") return new PermissionDenied(`--network host is refused: ${why}; use the bridge or a network of your own`);
  return undefined;
}
