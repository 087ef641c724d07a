/**
 * `push` and `pull`: credentials for the registry the name points at, the request to web's
 * streaming route, and its progress lines printed as they come (Docker's format).
 */
import http from "node:http";
import https from "node:https";
import { CliError, codeForKind } from "./errors.js";
import { storedLogin } from "./credentials.js";
import { write } from "./output.js";

export interface RegistryCreds {
  username: string;
  password: string;
}

/** `--creds user:token` → {username, password}. */
export function parseCreds(text: string): RegistryCreds {
  const i = text.indexOf(":");
  if (i <= 0 || i === text.length - 1) throw new CliError("USAGE", "--creds takes USERNAME:PASSWORD (an API token works as the password)");
  return { username: text.slice(0, i), password: text.slice(i + 1) };
}

/** The registry host of a name ("127.0.0.1:5000/alice/app:1" → "127.0.0.1:5000"), Docker's rule. */
export function registryOf(ref: string): string | undefined {
  const slash = ref.indexOf("/");
  if (slash < 0) return undefined;
  const first = ref.slice(0, slash);
  return first.includes(".") || first.includes(":") || first === "localhost" ? first : undefined;
}

/** `--creds`, else what `berth login REGISTRY` stored for that registry. */
export function credsFor(ref: string, given: string | undefined, lookup = storedLogin): RegistryCreds | undefined {
  if (given) return parseCreds(given);
  const host = registryOf(ref);
  if (!host) return undefined;
  for (const url of [`http://${host}`, `https://${host}`, host]) {
    const l = lookup(url);
    if (l) return { username: l.user, password: l.token };
  }
  return undefined;
}

export interface ProgressLine {
  progress?: { id: string; status: string };
  result?: unknown;
  error?: { kind?: string; message?: string };
}

export const formatProgress = (p: { id: string; status: string }) => (p.id ? `${p.id}: ${p.status}` : p.status);

/** POSTs {ref, creds} to a streaming route; prints each progress line; returns the result. */
export async function transfer<T>(route: "/api/images/push" | "/api/images/pull", ref: string, creds: RegistryCreds | undefined, quiet: boolean): Promise<T> {
  const { connect } = await import("./client.js");
  const { url, token } = connect();
  const u = new URL(`${url.replace(/\/+$/, "")}${route}`);
  const body = JSON.stringify({ ref, ...(creds ? { creds } : {}) });
  const mod = u.protocol === "https:" ? https : http;
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = mod.request(u, { method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    req.once("response", resolve);
    req.once("error", (e) => reject(new CliError("CONNECTION", `cannot reach the Berth server at ${url}: ${e.message}`)));
    req.end(body);
  });
  if (res.statusCode !== 200) {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    let msg = `HTTP ${res.statusCode}`;
    let kind: string | undefined;
    try {
      const e = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as ProgressLine).error;
      if (e?.message) msg = e.message;
      kind = e?.kind;
    } catch {
      /* not JSON */
    }
    if (res.statusCode === 401) throw new CliError("UNAUTHORIZED", msg);
    throw new CliError(res.statusCode === 403 ? "FORBIDDEN" : codeForKind(kind), msg);
  }
  let buf = "";
  let result: T | undefined;
  let error: ProgressLine["error"];
  for await (const chunk of res.setEncoding("utf8")) {
    buf += chunk as string;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const text = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!text.trim()) continue;
      const l = JSON.parse(text) as ProgressLine;
      if (l.progress && !quiet) await write(process.stdout, `${formatProgress(l.progress)}\n`);
      if (l.result !== undefined) result = l.result as T;
      if (l.error) error = l.error;
    }
  }
  if (error) throw new CliError(codeForKind(error.kind), error.message ?? "the transfer failed");
  if (result === undefined) throw new CliError("CONNECTION", "the server closed the connection before the transfer finished");
  return result;
}
