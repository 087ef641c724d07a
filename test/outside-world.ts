import { execFileSync, spawn, type ChildProcess } from "node:child_process";

/**
 * A test's own "outside world": a network namespace behind a veth pair, on a random /24 of the
 * benchmarking block 198.18.0.0/15 (RFC 2544), which nothing on a host routes. Traffic from the
 * tests goes only there. `prefix` keeps the names of concurrent test files apart.
 */
export interface OutsideWorld {
  ns: string;
  /** The host's end of the pair. */
  hostVeth: string;
  /** The host's address on the pair (what a masqueraded container shows as its source). */
  hostAddress: string;
  /** The namespace's address. */
  peerAddress: string;
  /** A TCP listener in the namespace answering every connection with `${reply}${source address}\n`. */
  listen(port: number, reply?: string): Promise<void>;
  remove(): void;
}

const ip = (...args: string[]) => execFileSync("ip", args, { encoding: "utf8" });

export function makeOutsideWorld(prefix: string): OutsideWorld {
  if (process.getuid?.() !== 0) throw new Error("network tests need root (bridges, iptables, netns)");
  execFileSync("iptables", ["-V"]); // fails loudly without iptables (scripts/setup.sh installs it)
  const rand = Math.random().toString(36).slice(2, 7);
  const ns = `${prefix}-${rand}`;
  const hostVeth = `${prefix}h${rand}`;
  const peerVeth = `${prefix}p${rand}`;
  const third = 1 + Math.floor(Math.random() * 250);
  const hostAddress = `198.18.${third}.1`;
  const peerAddress = `198.18.${third}.2`;
  const listeners: ChildProcess[] = [];
  ip("netns", "add", ns);
  ip("link", "add", hostVeth, "type", "veth", "peer", "name", peerVeth);
  ip("link", "set", peerVeth, "netns", ns);
  ip("addr", "add", `${hostAddress}/24`, "dev", hostVeth);
  ip("link", "set", hostVeth, "up");
  ip("-n", ns, "addr", "add", `${peerAddress}/24`, "dev", peerVeth);
  ip("-n", ns, "link", "set", peerVeth, "up");
  ip("-n", ns, "link", "set", "lo", "up");
  return {
    ns,
    hostVeth,
    hostAddress,
    peerAddress,
    async listen(port, reply = "") {
      const code = `require("net").createServer((s) => s.end(${JSON.stringify(reply)} + s.remoteAddress.replace(/^::ffff:/, "") + "\\n")).listen(${port}, () => console.log("up"))`;
      const child = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", code], { stdio: ["ignore", "pipe", "inherit"] });
      listeners.push(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout!.once("data", () => resolve());
        child.once("exit", (c) => reject(new Error(`the listener in ${ns} exited ${c}`)));
      });
    },
    remove() {
      for (const l of listeners) l.kill("SIGKILL");
      try {
        ip("netns", "del", ns);
      } catch {
        /* not made */
      }
      try {
        ip("link", "del", hostVeth);
      } catch {
        /* went with the namespace */
      }
    },
  };
}
