import type { Command } from "commander";
import type { IncomingMessage } from "node:http";
import type { Readable, Writable } from "node:stream";
import { action } from "../action.js";
import { tlsOptions } from "../tls-trust.js";
import { teamHeader } from "../credentials.js";

/** One side of `cp`: a path in a container (`CONTAINER:PATH`) or on this machine. */
export type CpSide = { container: string; path: string } | { local: string };

/** Docker's rule: `NAME:PATH` is a container path unless the part before ":" looks like a local path. */
export function parseCpArg(arg: string): CpSide {
  if (arg === "-") return { local: "-" };
  const i = arg.indexOf(":");
  if (i <= 0) return { local: arg };
  const before = arg.slice(0, i);
  if (before.includes("/") || before.startsWith(".")) return { local: arg };
  return { container: before, path: arg.slice(i + 1) };
}

interface PathStat {
  name: string;
  mode: number;
  size: number;
  linkTarget: string;
  isDir: boolean;
}

async function session() {
  const { connectImages } = await import("../image-client.js");
  const { url, token } = await connectImages();
  return { url, token };
}

async function request(method: "GET" | "PUT", query: Record<string, string>, body?: Readable): Promise<IncomingMessage> {
  const [{ url, token }, http, https, { pipeline }] = await Promise.all([session(), import("node:http"), import("node:https"), import("node:stream/promises")]);
  const u = new URL(`${url.replace(/\/+$/, "")}/api/containers/archive`);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  const req = (u.protocol === "https:" ? https : http).request(u, {
    ...(await tlsOptions(u)),
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...teamHeader(url), ...(body ? { "content-type": "application/x-tar", "transfer-encoding": "chunked" } : {}) },
  });
  const res = new Promise<IncomingMessage>((resolve, reject) => {
    req.once("response", resolve);
    req.once("error", reject);
  });
  if (body) void pipeline(body, req).catch(() => undefined);
  else req.end();
  const r = await res;
  if (r.statusCode === 200) return r;
  const { CliError, codeForKind, unauthorizedMessage } = await import("../errors.js");
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  if (r.statusCode === 401) throw new CliError("UNAUTHORIZED", unauthorizedMessage(url));
  let msg = `unexpected response from the Berth server at ${url}: HTTP ${r.statusCode}`;
  let code = "BAD_RESPONSE";
  try {
    const e = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { error?: { kind?: string; message?: string } }).error;
    if (e?.message) [msg, code] = [e.message, codeForKind(e.kind)];
  } catch {
    /* not ours */
  }
  throw new CliError(code, msg);
}

/** `cp CONTAINER:SRC DEST|-`: the tar from the container, placed by Docker's rules. */
async function copyOut(container: string, src: string, dest: string): Promise<void> {
  const res = await request("GET", { id: container, path: src });
  if (dest === "-") {
    const { pipeline } = await import("node:stream/promises");
    await pipeline(res, process.stdout as Writable);
    return;
  }
  const [fs, path, tar, { pipeline }, { CliError }] = await Promise.all([import("node:fs"), import("node:path"), import("tar"), import("node:stream/promises"), import("../errors.js")]);
  const stat = JSON.parse(Buffer.from(String(res.headers["x-berth-path-stat"] ?? ""), "base64").toString("utf8") || "{}") as PathStat;
  const contentsOnly = /(^|\/)\.$/.test(src);
  const target = fs.statSync(dest, { throwIfNoEntry: false });
  const extract = (cwd: string, strip: number) => pipeline(res, tar.x({ cwd, strip, preserveOwner: false }));
  if (target?.isDirectory()) return void (await extract(dest, 0));
  if (!target) {
    if (dest.endsWith("/")) throw new CliError("USAGE", `destination directory ${dest} does not exist`);
    const parent = path.dirname(path.resolve(dest));
    if (!fs.statSync(parent, { throwIfNoEntry: false })?.isDirectory()) throw new CliError("USAGE", `destination directory ${parent} does not exist`);
    if (stat.isDir || contentsOnly) {
      fs.mkdirSync(dest);
      return void (await extract(dest, contentsOnly ? 0 : 1));
    }
  } else if (stat.isDir) throw new CliError("USAGE", `cannot copy a directory to a file: ${dest} is not a directory`);
  // One file or symlink, written as DEST.
  const parser = new tar.Parser();
  let done: Promise<void> = Promise.resolve();
  parser.on("entry", (e: import("tar").ReadEntry) => {
    if (e.type === "SymbolicLink") {
      done = (async () => {
        fs.rmSync(dest, { force: true });
        fs.symlinkSync(e.linkpath ?? "", dest);
      })();
      e.resume();
    } else if (e.type === "File" || e.type === "OldFile") {
      done = pipeline(e, fs.createWriteStream(dest, { mode: (e.mode ?? 0o644) & 0o777 }));
    } else e.resume();
  });
  await pipeline(res, parser);
  await done;
}

/** `cp SRC|- CONTAINER:DEST`: SRC as a tar (its base name at the top, or its contents for SRC/.). */
export async function copyIn(src: string, container: string, dest: string): Promise<void> {
  if (src === "-") {
    const r = await request("PUT", { id: container, path: dest }, process.stdin);
    r.resume();
    return;
  }
  const [fs, path, tar, { CliError }] = await Promise.all([import("node:fs"), import("node:path"), import("tar"), import("../errors.js")]);
  const st = fs.lstatSync(src, { throwIfNoEntry: false });
  if (!st) throw new CliError("USAGE", `stat ${src}: no such file or directory`);
  const contentsOnly = /(^|\/)\.$/.test(src) && st.isDirectory();
  const abs = path.resolve(src);
  const body = contentsOnly
    ? tar.c({ cwd: abs, portable: true }, fs.readdirSync(abs))
    : tar.c({ cwd: path.dirname(abs), portable: true }, [path.basename(abs)]);
  const base = contentsOnly ? "" : path.basename(abs);
  const r = await request("PUT", { id: container, path: dest, base, isDir: st.isDirectory() ? "1" : "0" }, body as unknown as Readable);
  r.resume();
}

export function register(program: Command): Command {
  return program
    .command("cp")
    .description("Copy files/folders between a container and the local filesystem")
    .usage("CONTAINER:SRC_PATH DEST_PATH|-\n       berth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH")
    .argument("<src>", "CONTAINER:PATH, a local path, or - (a tar on stdin)")
    .argument("<dest>", "CONTAINER:PATH, a local path, or - (a tar on stdout)")
    .action(
      action("other", async (srcArg: string, destArg: string) => {
        const { CliError } = await import("../errors.js");
        const src = parseCpArg(srcArg);
        const dest = parseCpArg(destArg);
        if ("container" in src && "container" in dest) throw new CliError("USAGE", "copying between containers is not supported: copy to a local path first");
        if ("local" in src && "local" in dest) throw new CliError("USAGE", "must specify at least one container source: CONTAINER:PATH");
        if ("container" in src && "local" in dest) {
          if (!src.path) throw new CliError("USAGE", "the container path is empty: use CONTAINER:/path");
          return copyOut(src.container, src.path, dest.local);
        }
        if ("local" in src && "container" in dest) {
          if (!dest.path) throw new CliError("USAGE", "the container path is empty: use CONTAINER:/path");
          return copyIn(src.local, dest.container, dest.path);
        }
      }),
    );
}
