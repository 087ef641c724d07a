import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * What a stopped instance must not leave: host links named after it (bridges `bb<tag>…`, veth
 * ends `vb<tag>…`, tag = 6 hex of sha256(hostId)), iptables rules tagged `berth-<hostId>`, its
 * iptables chain `BERTH-IN-<tag>` and its nftables table `bridge berth-<hostId>`.
 */
export function networkLeaksOf(home: string): string[] {
  let hostId: string;
  try {
    hostId = fs.readFileSync(path.join(home, "host-id"), "utf8").trim();
  } catch {
    return [];
  }
  const tag = createHash("sha256").update(hostId).digest("hex").slice(0, 6);
  const links = fs.readdirSync("/sys/class/net").filter((n) => n.startsWith(`bb${tag}`) || n.startsWith(`vb${tag}`));
  const rules: string[] = [];
  for (const table of ["nat", "filter"]) {
    const text = execFileSync("iptables", ["-w", "-t", table, "-S"], { encoding: "utf8" });
    rules.push(...text.split("\n").filter((l) => l.includes(`berth-${hostId}`) || l.includes(`BERTH-IN-${tag}`)));
  }
  const tables = execFileSync("nft", ["list", "tables"], { encoding: "utf8" });
  const nft = tables.split("\n").filter((l) => l.trim() === `table bridge berth-${hostId}`);
  return [...links.map((l) => `link ${l}`), ...rules.map((r) => `iptables ${r}`), ...nft.map((t) => `nft ${t}`)];
}
