import { execFile } from "node:child_process";

export interface CurlResult {
  status: number;
  /** The response's head as curl printed it (status line and headers). */
  headers: string;
  body: string;
}

/** One request with the real curl (`-H` for each header), answering status, head and body. */
export function curl(url: string, headers: Record<string, string> = {}, opts: { maxTimeS?: number } = {}): Promise<CurlResult> {
  const args = ["-s", "-S", "-D", "-", "--max-time", String(opts.maxTimeS ?? 60), url];
  for (const [k, v] of Object.entries(headers)) args.unshift("-H", `${k}: ${v}`);
  return new Promise((resolve, reject) =>
    execFile("curl", args, { encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`curl ${url}: ${stderr || err.message}`));
      const split = stdout.indexOf("\r\n\r\n");
      const head = stdout.slice(0, split);
      resolve({ status: Number(/^HTTP\/[\d.]+ (\d+)/.exec(head)?.[1]), headers: head, body: stdout.slice(split + 4) });
    }),
  );
}
