// Container networking in the native runtime: RunSpec.network, and interfaces added to or
// removed from a running container (`network connect` / `disconnect`).

/** A veth pair: the host end joins `bridge`, the peer becomes `ifname` inside the container. */
export interface VethSpec {
  /** Existing bridge on the host. */
  bridge: string;
  /** Name of the host end (1 to 15 bytes, unique on the host). */
  hostIfname: string;
  /** Name inside the container (default "eth0"). */
  ifname?: string;
  /** "02:42:0a:00:00:02" (default: random). */
  mac?: string;
  /** IPv4 address of the container end. */
  address: string;
  prefixLength: number;
  /** Default route via this address (omit for no default route). */
  gateway?: string;
  /** Default 1500. */
  mtu?: number;
}

/**
 * 'none': a network namespace with only lo (the default); 'host': the host's namespace;
 * 'bridge': also a veth to a host bridge, configured before the command runs (stage 'network');
 * `extra`: one more veth per further network (eth1, …), all up before the command runs too.
 */
export type NetworkMode = { mode: 'none' } | { mode: 'host' } | ({ mode: 'bridge'; extra?: VethSpec[] } & VethSpec);

export function checkNetwork(value: unknown): NetworkMode {
  if (typeof value !== 'object' || value === null) throw new TypeError("RunSpec.network: expected { mode: 'none' | 'host' | 'bridge', ... }");
  const mode = (value as { mode?: unknown }).mode;
  if (mode !== 'none' && mode !== 'host' && mode !== 'bridge') throw new TypeError("RunSpec.network.mode: expected 'none', 'host' or 'bridge'");
  return value as NetworkMode; // the addon checks the fields (names, addresses, prefix, mtu)
}
