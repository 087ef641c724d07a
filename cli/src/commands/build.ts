import type { Command } from "commander";
import { action } from "../action.js";
import { teamHeader } from "../credentials.js";

export interface BuildArgs {
  context: string;
  tags: string[];
  file: string | undefined;
  target: string | undefined;
  buildArgs: string[];
  noCache: boolean;
  quiet: boolean;
  /** `--network` for the RUN steps: default (bridge), host or none. */
  network?: string | undefined;
  /** Where the build's output goes (stdout for `berth build`; `stack up` sends it to stderr). */
  out?: import("node:stream").Writable;
}

/** `berth build`: with -q, prints the image id once built. */
export async function build(a: BuildArgs): Promise<number | void> {
  const id = await buildImage(a);
  if (a.quiet) {
    const { write } = await import("../output.js");
    await write(process.stdout, `${id}\n`);
  }
}

/**
 * Builds an image on the server and returns its id: the context directory goes as a tar
 * (leaving out what .dockerignore excludes) to POST /api/builds, and the build's output is
 * printed as it comes.
 */
export async function buildImage(a: BuildArgs): Promise<string> {
  // Plain HTTP and the endpoint only: no tRPC client, and no zod unless the environment is unusual.
  const [{ endpoint }, { quickClientConfig }, { CliError, codeForKind, unauthorizedMessage }, { write }, http, path, fs] = await Promise.all([
    import("../endpoint.js"),
    import("@berth/core/client-config"),
    import("../errors.js"),
    import("../output.js"),
    import("node:http"),
    import("node:path"),
    import("node:fs"),
  ]);
  const dir = path.resolve(a.context);
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new CliError("USAGE", `unable to prepare context: path "${a.context}" not found`);
  const dockerfile = a.file ? path.relative(dir, path.resolve(a.file)) : "Dockerfile";
  if (dockerfile.startsWith("..") || path.isAbsolute(dockerfile)) throw new CliError("USAGE", `the Dockerfile (${a.file}) must be inside the build context (${a.context})`);
  if (!fs.existsSync(path.join(dir, dockerfile))) throw new CliError("USAGE", `unable to prepare context: no Dockerfile at ${path.join(a.context, dockerfile)}`);

  const s = endpoint(quickClientConfig() ?? (await import("@berth/core")).config());
  const u = new URL(`${s.url.replace(/\/+$/, "")}/api/builds`);
  for (const t of a.tags) u.searchParams.append("t", t);
  for (const b of a.buildArgs) u.searchParams.append("build-arg", b.includes("=") ? b : `${b}=${process.env[b] ?? ""}`);
  u.searchParams.set("f", dockerfile.split(path.sep).join("/"));
  if (a.target) u.searchParams.set("target", a.target);
  if (a.noCache) u.searchParams.set("no-cache", "1");
  if (a.network) u.searchParams.set("network", a.network);
  const mod = u.protocol === "https:" ? (await import("node:https")).default : http;
  const { tlsOptions } = await import("../tls-trust.js");
  const req = mod.request(u, { ...(await tlsOptions(u)), method: "POST", headers: { ...(s.token ? { authorization: `Bearer ${s.token}` } : {}), ...teamHeader(s.url), "content-type": "application/x-tar", "transfer-encoding": "chunked" } });
  const response = new Promise<import("node:http").IncomingMessage>((resolve, reject) => {
    req.once("response", resolve);
    req.once("error", reject);
  });
  // The headers go now, and one turn of the event loop lets the connection open and send them:
  // the server checks the token while the context is packed.
  req.flushHeaders();
  await new Promise<void>((r) => setImmediate(r));
  let body: import("node:stream").Readable;
  try {
    const { contextStream } = await import("../build-context.js");
    body = await contextStream(dir, [dockerfile.split(path.sep).join("/")]);
  } catch (e) {
    // An unreadable context: the request already open must not keep the process alive.
    response.catch(() => undefined);
    req.destroy();
    throw e;
  }
  body.on("error", (e) => req.destroy(e));
  body.pipe(req);
  const res = await response;
  if (res.statusCode !== 200) {
    body.unpipe(req);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    // The upload was refused mid-way: its unfinished request would hold the process open.
    body.destroy();
    req.destroy();
    if (res.statusCode === 401) throw new CliError("UNAUTHORIZED", unauthorizedMessage(s.url));
    try {
      const e = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { error: { kind: string; message: string } }).error;
      throw new CliError(res.statusCode === 403 ? "FORBIDDEN" : codeForKind(e.kind), e.message);
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError("BAD_RESPONSE", `unexpected response from the Berth server at ${s.url}: HTTP ${res.statusCode}`);
    }
  }
  let buf = "";
  let end: { ok: boolean; id?: string; kind?: string; message?: string } | undefined;
  for await (const chunk of res) {
    buf += String(chunk);
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      const ev = JSON.parse(line) as { type: string; text?: string; ok?: boolean; id?: string; kind?: string; message?: string };
      if (ev.type === "out" && !a.quiet) await write(a.out ?? process.stdout, ev.text ?? "");
      else if (ev.type === "end") end = { ok: !!ev.ok, ...(ev.id ? { id: ev.id } : {}), ...(ev.kind ? { kind: ev.kind } : {}), ...(ev.message ? { message: ev.message } : {}) };
    }
  }
  if (!end) throw new CliError("BAD_RESPONSE", "the build's output ended before it finished (did the server stop?)");
  if (!end.ok) throw new CliError(codeForKind(end.kind), end.message ?? "the build failed");
  if (!end.id) throw new CliError("BAD_RESPONSE", "the build finished without naming its image (is the server older than this CLI?)");
  return end.id;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function register(parent: Command, handler: (a: BuildArgs) => Promise<number | void> = build): Command {
  return parent
    .command("build")
    .description("Build an image from a Dockerfile")
    .usage("[OPTIONS] PATH")
    .argument("<path>", "the build context directory")
    .option("-t, --tag <name>", "name and optionally a tag in the name:tag format (repeatable)", collect, [])
    .option("-f, --file <file>", "name of the Dockerfile (default: PATH/Dockerfile)")
    .option("--target <stage>", "set the target build stage to build")
    .option("--build-arg <arg>", "set build-time variables (KEY=VALUE, repeatable)", collect, [])
    .option("--no-cache", "do not use cache when building the image")
    .option("-q, --quiet", "suppress the build output and print the image ID on success")
    .option("--network <mode>", "networking mode for the RUN instructions: default (the bridge network), host or none")
    .action(
      action("other", (context: string, o: { tag: string[]; file?: string; target?: string; buildArg: string[]; cache: boolean; quiet?: boolean; network?: string }) =>
        handler({ context, tags: o.tag, file: o.file, target: o.target, buildArgs: o.buildArg, noCache: o.cache === false, quiet: !!o.quiet, network: o.network }),
      ),
    );
}
