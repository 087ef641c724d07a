import type { Command } from "commander";
import { action } from "../action.js";

export interface ImageBootstrapArgs {
  ref: string;
  mirror: string | undefined;
  quiet: boolean;
}

interface Line {
  progress?: { id: string; status: string };
  result?: { id: string; ref: string; cached: boolean; mirror?: string };
  error?: { kind?: string; message?: string };
}

/** `image bootstrap debian:SUITE`: a base image made by debootstrap on the host (once); prints its progress, then the tag. */
export async function imageBootstrap(a: ImageBootstrapArgs): Promise<void> {
  const [http, https, { connect }, { CliError, codeForKind }, { write }] = await Promise.all([
    import("node:http"),
    import("node:https"),
    import("../client.js"),
    import("../errors.js"),
    import("../output.js"),
  ]);
  const { url, token } = connect();
  const u = new URL(`${url.replace(/\/+$/, "")}/api/images/bootstrap`);
  const body = JSON.stringify({ ref: a.ref, ...(a.mirror ? { mirror: a.mirror } : {}) });
  const mod = u.protocol === "https:" ? https : http;
  const res = await new Promise<import("node:http").IncomingMessage>((resolve, reject) => {
    const req = mod.request(u, { method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    req.once("response", resolve);
    req.once("error", (e) => reject(new CliError("CONNECTION", `cannot reach the Berth server at ${url}: ${e.message}`)));
    req.end(body);
  });
  if (res.statusCode !== 200) {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    let e: Line["error"];
    try {
      e = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as Line).error;
    } catch {
      /* not JSON */
    }
    if (res.statusCode === 401) throw new CliError("UNAUTHORIZED", e?.message ?? "HTTP 401");
    throw new CliError(res.statusCode === 403 ? "FORBIDDEN" : codeForKind(e?.kind), e?.message ?? `HTTP ${res.statusCode}`);
  }
  let buf = "";
  let result: Line["result"];
  let error: Line["error"];
  for await (const chunk of res.setEncoding("utf8")) {
    buf += chunk as string;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const text = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!text.trim()) continue;
      const l = JSON.parse(text) as Line;
      if (l.progress && !a.quiet) await write(process.stdout, `${l.progress.status}\n`);
      if (l.result) result = l.result;
      if (l.error) error = l.error;
    }
  }
  if (error) throw new CliError(codeForKind(error.kind), error.message ?? "the bootstrap failed");
  if (!result) throw new CliError("BAD_RESPONSE", "the server closed the connection before the bootstrap finished");
  if (result.cached && !a.quiet) await write(process.stdout, `${result.ref} already made (berth rmi ${result.ref} to remake it)\n`);
  await write(process.stdout, a.quiet ? `${result.id}\n` : `${result.ref}: ${result.id}\n`);
}

export function register(parent: Command, handler: (a: ImageBootstrapArgs) => Promise<number | void> = imageBootstrap): Command {
  return parent
    .command("bootstrap")
    .description("Make a Debian base image with debootstrap from the host's apt mirror (once; then reused)")
    .usage("[OPTIONS] debian:SUITE")
    .argument("<image>", "debian:SUITE, e.g. debian:bookworm")
    .option("--mirror <url>", "Debian mirror (default: the one the host's apt sources use)")
    .option("-q, --quiet", "print only the image id")
    .action(action("other", (ref: string, o: { mirror?: string; quiet?: boolean }) => handler({ ref, mirror: o.mirror, quiet: !!o.quiet })));
}
