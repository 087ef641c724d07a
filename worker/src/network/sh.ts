import { execFile } from "node:child_process";

/** The Debian package that ships each host tool (named in the error when the tool is missing). */
const PACKAGE: Record<string, string> = { ip: "iproute2", nft: "nftables", "iptables-restore": "iptables" };

/** Runs a host tool (ip, iptables, nft), `input` on its stdin; rejects with its stderr and the command line. */
export function sh(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) {
        const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
        const why = missing ? `${cmd} is not installed (scripts/setup.sh installs it: apt-get install ${PACKAGE[cmd] ?? cmd})` : stderr.trim() || err.message;
        const e = new Error(`${cmd} ${args.join(" ")}: ${why}`, { cause: err });
        reject(e);
      } else resolve(stdout);
    });
    // A tool that is missing or exits early closes its stdin: the exit callback reports that.
    child.stdin?.on("error", () => undefined);
    if (input !== undefined) child.stdin?.end(input);
  });
}
