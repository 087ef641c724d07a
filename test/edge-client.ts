import http from "node:http";

export interface Reply {
  status: number;
  body: string;
}

/**
 * One GET to the edge on loopback, named by its Host header as a browser or script would send it
 * (`main--shop--acme.localhost:PORT`), with an API token as `Authorization: Bearer` when given.
 */
export function edgeGet(port: number, host: string, opts: { path?: string; token?: string | null; agent?: http.Agent | false; timeoutMs?: number } = {}): Promise<Reply> {
  const headers: Record<string, string> = { host };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: opts.path ?? "/", agent: opts.agent ?? false, headers, timeout: opts.timeoutMs ?? 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.once("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.once("error", reject);
    });
    req.once("timeout", () => req.destroy(new Error(`GET http://${host}${opts.path ?? "/"} through the edge timed out`)));
    req.once("error", reject);
  });
}
