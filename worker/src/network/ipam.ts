import fs from "node:fs/promises";
import path from "node:path";
import { FailedPrecondition, InvalidArgument } from "@berth/core";
import { formatCidr, intToIp, ipToInt, mask, overlaps, parseCidr, size, type Cidr } from "./cidr.js";

/**
 * Subnets are claimed host-wide, so Berth instances started at the same moment never pick the
 * same one: a claim is a file created with O_EXCL in CLAIMS_DIR, naming the owner and its bridge.
 * A claim whose bridge is gone after a grace period was left by a crashed instance and is taken over.
 */
export const CLAIMS_DIR = "/run/berth/subnets";
const STALE_MS = 60_000;

/** Berth's default pool: /24s of 10.200.0.0–10.215.255.0 (Docker holds 172.17+, Podman 10.88). */
function* pool(start: number): Generator<Cidr> {
  const total = 16 * 256;
  for (let i = 0; i < total; i++) {
    const k = (start + i) % total;
    yield { base: ipToInt(`10.${200 + (k >> 8)}.${k & 255}.0`), prefix: 24 };
  }
}

/** IPv4 routes of the host (main table), from /proc/net/route; the default route is left out. */
export async function hostRoutes(): Promise<Cidr[]> {
  const text = await fs.readFile("/proc/net/route", "utf8");
  const out: Cidr[] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    // Little-endian hex as the kernel prints it.
    const le = (h: string) => Buffer.from(h, "hex").readUInt32LE(0);
    const dest = le(f[1]!);
    const m = le(f[7]!);
    if (m === 0) continue;
    const prefix = Math.clz32(~m); // a contiguous mask: its leading ones
    out.push({ base: (dest & mask(prefix)) >>> 0, prefix });
  }
  return out;
}

const claimFile = (c: Cidr) => path.join(CLAIMS_DIR, formatCidr(c).replace("/", "_"));

async function tryClaim(c: Cidr, owner: string, bridge: string): Promise<boolean> {
  const file = claimFile(c);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(file, JSON.stringify({ owner, bridge }), { flag: "wx" });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const held = await fs.readFile(file, "utf8").then((t) => JSON.parse(t) as { owner: string; bridge: string }, () => undefined);
    if (held?.owner === owner && held.bridge === bridge) return true;
    const st = await fs.stat(file).catch(() => undefined);
    const bridgeAlive = held ? await fs.stat(`/sys/class/net/${held.bridge}`).then(() => true, () => false) : false;
    if (!st || bridgeAlive || Date.now() - st.mtimeMs < STALE_MS) return false;
    await fs.rm(file, { force: true }); // a crashed instance's: take it over
  }
  return false;
}

/** Claims `requested` (a CIDR) or the first free /24 of the pool, avoiding host routes and other instances' claims. */
export async function claimSubnet(owner: string, bridge: string, requested?: string): Promise<Cidr> {
  await fs.mkdir(CLAIMS_DIR, { recursive: true });
  const routes = await hostRoutes();
  if (requested !== undefined) {
    let c: Cidr;
    try {
      c = parseCidr(requested);
    } catch (e) {
      throw new InvalidArgument(`invalid --subnet: ${(e as Error).message}`);
    }
    if (c.prefix > 30) throw new InvalidArgument(`invalid --subnet ${requested}: the prefix must be /30 or shorter`);
    const clash = routes.find((r) => overlaps(r, c));
    if (clash) throw new FailedPrecondition(`Pool overlaps with other one on this address space: ${formatCidr(c)} overlaps the host's route ${formatCidr(clash)}`);
    if (!(await tryClaim(c, owner, bridge))) throw new FailedPrecondition(`Pool overlaps with other one on this address space: ${formatCidr(c)} is in use by another network`);
    return c;
  }
  // Different instances start at different points of the pool: fewer collisions to step over.
  const start = parseInt(owner.replace(/[^0-9a-f]/g, "").slice(0, 3) || "0", 16) % 4096;
  for (const c of pool(start)) {
    if (routes.some((r) => overlaps(r, c))) continue;
    if (await tryClaim(c, owner, bridge)) return c;
  }
  throw new FailedPrecondition("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network");
}

/**
 * The claim of a network a start keeps with its bridge (its route is the host's now, which a
 * new claim would refuse): still ours, or taken again if it went.
 */
export async function keepClaim(owner: string, bridge: string, subnet: string): Promise<Cidr> {
  await fs.mkdir(CLAIMS_DIR, { recursive: true });
  const c = parseCidr(subnet);
  if (!(await tryClaim(c, owner, bridge))) throw new FailedPrecondition(`${subnet} of bridge ${bridge} is claimed by another network (${claimFile(c)})`);
  return c;
}

/** Gives a claim back (only the owner's). */
export async function releaseSubnet(c: Cidr, owner: string): Promise<void> {
  const file = claimFile(c);
  const held = await fs.readFile(file, "utf8").then((t) => JSON.parse(t) as { owner: string }, () => undefined);
  if (held?.owner === owner) await fs.rm(file, { force: true });
}

/** Every claim this instance holds (start-up and shutdown clean-up), but those of the bridges in `keep`. */
export async function releaseAllSubnets(owner: string, keep: Set<string> = new Set()): Promise<void> {
  const names = await fs.readdir(CLAIMS_DIR).catch(() => [] as string[]);
  for (const n of names) {
    const file = path.join(CLAIMS_DIR, n);
    const held = await fs.readFile(file, "utf8").then((t) => JSON.parse(t) as { owner: string; bridge: string }, () => undefined);
    if (held?.owner === owner && !keep.has(held.bridge)) await fs.rm(file, { force: true });
  }
}

/** The lowest free host address of `c` that is neither the gateway nor in `used`. */
export function allocateAddress(c: Cidr, gateway: string, used: Iterable<string>): string {
  const taken = new Set<number>([...used].map(ipToInt));
  taken.add(ipToInt(gateway));
  for (let i = 1; i < size(c) - 1; i++) {
    const ip = c.base + i;
    if (!taken.has(ip)) return intToIp(ip);
  }
  throw new FailedPrecondition(`no available IPv4 addresses on network ${formatCidr(c)}`);
}
