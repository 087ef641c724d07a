/**
 * Custom domains: exact host names (app.example.com) that named routes claim beside their
 * generated `<...>.<BERTH_DOMAIN>` name. The index is rebuilt with each routes.json load, so a
 * domain moves with the route's switch, atomically.
 */
import { namedRouteKey, type EdgeRouteKey, type NamedRoute } from "@berth/core";

/** A Host header (or HTTP/2 :authority) as the host name alone: lower case, no port, no trailing dot. */
export function hostName(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  // [::1]:8000 → [::1]; app.example.com:443 → app.example.com
  const bare = h.startsWith("[") ? h.slice(0, h.indexOf("]") + 1) : h.replace(/:\d*$/, "");
  return bare.replace(/\.$/, "");
}

export interface DomainIndex {
  /** Host name → the route key it serves. */
  byHost: Map<string, EdgeRouteKey>;
  /** Domains claimed by more than one route: the first route (by name) keeps it. */
  conflicts: { domain: string; kept: string; refused: string }[];
}

/** Host name → route key for every domain of `routes`; a domain two routes claim goes to the first by name. */
export function buildDomainIndex(routes: ReadonlyMap<string, NamedRoute>): DomainIndex {
  const byHost = new Map<string, EdgeRouteKey>();
  const owner = new Map<string, string>();
  const conflicts: DomainIndex["conflicts"] = [];
  for (const name of [...routes.keys()].sort()) {
    const key = namedRouteKey(name);
    if (!key) continue;
    for (const domain of routes.get(name)!.domains ?? []) {
      const d = hostName(domain);
      const had = owner.get(d);
      if (had) {
        conflicts.push({ domain: d, kept: had, refused: name });
        continue;
      }
      owner.set(d, name);
      byHost.set(d, key);
    }
  }
  return { byHost, conflicts };
}
