import os from "node:os";
import type { Config } from "@berth/core";
import { sh } from "./sh.js";

/**
 * Keeps containers away from Berth's own control plane on this host: TCP from any Berth bridge
 * (`bb+`, every instance's) to one of the given ports on any address of the host — the gateway,
 * the host's other addresses — is refused with a reset. Only traffic addressed to the host
 * itself passes INPUT, so egress, published ports (their proxies listen on other ports) and
 * traffic between containers are untouched.
 *
 * The rules sit in this instance's own chain `BERTH-IN-<tag>`, entered from INPUT by one rule
 * tagged `berth-<hostId>`; removing the jump and the chain removes everything.
 */
export class ControlPlaneGuard {
  constructor(
    private readonly hostId: string,
    tag: string,
  ) {
    this.chain = `BERTH-IN-${tag}`;
  }

  readonly chain: string;

  private jump(): string[] {
    return ["INPUT", "-i", "bb+", "-m", "comment", "--comment", `berth-${this.hostId}`, "-j", this.chain];
  }

  /**
   * Puts the rule for `ports` in place. Never a moment without the guard: at a worker start
   * containers may still be running (live restore), so the new rule goes in before any old one
   * goes, and the jump from INPUT stays.
   */
  async install(ports: number[]): Promise<void> {
    if (!ports.length) return this.remove();
    if (ports.length > 15) throw new Error(`control-plane ports: at most 15 (iptables multiport), got ${ports.join(",")}`);
    const exists = await ipt(["-S", this.chain]).then(() => true, () => false);
    if (!exists) await ipt(["-N", this.chain]);
    await ipt(["-A", this.chain, "-p", "tcp", "-m", "multiport", "--dports", ports.join(","), "-m", "comment", "--comment", `berth-${this.hostId}`, "-j", "REJECT", "--reject-with", "tcp-reset"]);
    const rules = (await ipt(["-S", this.chain])).split("\n").filter((l) => l.startsWith("-A ")).length;
    for (let i = 1; i < rules; i++) await ipt(["-D", this.chain, "1"]);
    // One jump, first in INPUT: ahead of a host firewall's broad ACCEPT for the bridge.
    const [chain, ...rest] = this.jump();
    if (!(await ipt(["-C", ...this.jump()]).then(() => true, () => false))) await ipt(["-I", chain!, "1", ...rest]);
  }

  /** The rules of this instance's chain, as `iptables -S` prints them (for tests and diagnostics). */
  async rules(): Promise<string[]> {
    return (await ipt(["-S", this.chain]).catch(() => "")).split("\n").filter((l) => l.startsWith("-A "));
  }

  /** How many jumps from INPUT lead to this instance's chain. */
  async jumps(): Promise<number> {
    return (await ipt(["-S", "INPUT"])).split("\n").filter((l) => l.includes(`-j ${this.chain}`)).length;
  }

  async remove(): Promise<void> {
    // The jump may be there more than once (a crash between inserting and recording): drop all.
    for (let i = 0; i < 16; i++) {
      if (!(await ipt(["-C", ...this.jump()]).then(() => true, () => false))) break;
      await ipt(["-D", ...this.jump()]);
    }
    if (await ipt(["-S", this.chain]).then(() => true, () => false)) {
      await ipt(["-F", this.chain]);
      await ipt(["-X", this.chain]);
    }
  }
}

function ipt(args: string[]): Promise<string> {
  return sh("iptables", ["-w", "-t", "filter", ...args]);
}

const DEFAULT_PORT: Record<string, number> = { "redis:": 6379, "rediss:": 6379, "postgres:": 5432, "postgresql:": 5432, "http:": 80, "https:": 443 };

/**
 * The TCP ports of Berth's control plane that live on this host: web's port, and the port of
 * Redis, PostgreSQL or web's public URL when their URL names this host. Berth's own Redis
 * listens on a Unix socket only (`--port 0`), out of a container's reach.
 */
export function controlPlanePorts(cfg: Pick<Config, "port" | "redisUrl" | "databaseUrl" | "url">): number[] {
  const ports = new Set([cfg.port]);
  for (const u of [cfg.redisUrl, cfg.databaseUrl, cfg.url]) {
    const p = localTcpPort(u);
    if (p !== undefined) ports.add(p);
  }
  return [...ports].sort((a, b) => a - b);
}

function localTcpPort(u: string | undefined): number | undefined {
  if (!u) return undefined;
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return undefined;
  }
  const fallback = DEFAULT_PORT[url.protocol];
  if (fallback === undefined || !isThisHost(url.hostname.replace(/^\[|\]$/g, ""))) return undefined;
  return url.port ? Number(url.port) : fallback;
}

function isThisHost(host: string): boolean {
  if (host === "localhost" || host === os.hostname() || /^127\./.test(host) || ["::1", "0.0.0.0", "::"].includes(host)) return true;
  return Object.values(os.networkInterfaces()).some((l) => l?.some((a) => a.address === host));
}
