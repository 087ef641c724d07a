import { execFile } from "node:child_process";

/** Runs a host tool (ip, iptables); rejects with its stderr and the command line. */
export function sh(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) {
        const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
        const why = missing ? `${cmd} is not installed (scripts/setup.sh installs it: apt-get install ${cmd === "ip" ? "iproute2" : cmd})` : stderr.trim() || err.message;
        const e = new Error(`${cmd} ${args.join(" ")}: ${why}`, { cause: err });
        reject(e);
      } else resolve(stdout);
    });
  });
}
