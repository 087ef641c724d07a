import { execFile } from "node:child_process";

/** Runs a host tool (ip, iptables); rejects with its stderr and the command line. */
export function sh(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) {
        const e = new Error(`${cmd} ${args.join(" ")}: ${stderr.trim() || err.message}`, { cause: err });
        reject(e);
      } else resolve(stdout);
    });
  });
}
