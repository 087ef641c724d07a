import type { ConfiguredNetwork, ContainerOptions, EndpointSettings } from "@berth/core";
import type { Db } from "@berth/core/db";

// A container's networks as stored in its options: what its next start joins. `network connect`
// and `disconnect` change this list for every container (and, when it runs, its live interfaces
// too), so a connection outlives a restart as in Docker.

export function rawOptions(c: Db.Container): Record<string, unknown> {
  return JSON.parse(c.options || "{}") as Record<string, unknown>;
}

/** The networks the container joins at start: the list connect/disconnect left, else its --network. */
export function configuredNetworks(opts: ContainerOptions): ConfiguredNetwork[] {
  if (opts.networks) return opts.networks;
  const mode = opts.network ?? "bridge";
  if (mode === "host" || mode === "none") return [];
  return [{ name: mode, aliases: opts.networkAliases ?? [] }];
}

/** `inspect`'s NetworkSettings.Networks of a container that is not running: what it will join. */
export function configuredSettings(opts: ContainerOptions): Record<string, EndpointSettings> {
  const out: Record<string, EndpointSettings> = {};
  const empty = (aliases: string[] | null): EndpointSettings => ({ IPAMConfig: null, Links: null, Aliases: aliases, NetworkID: "", EndpointID: "", Gateway: "", IPAddress: "", IPPrefixLen: 0, MacAddress: "" });
  if (!opts.networks && (opts.network === "host" || opts.network === "none")) {
    out[opts.network] = empty(null);
    return out;
  }
  for (const e of configuredNetworks(opts)) out[e.name] = empty(e.aliases.length ? e.aliases : null);
  return out;
}
