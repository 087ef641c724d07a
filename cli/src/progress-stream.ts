/**
 * The streaming routes that report progress (push, pull, bootstrap, load) answer NDJSON:
 * `{"progress":{id,status}}` lines as the worker reports them, then `{"result":…}` or
 * `{"error":{kind,message}}`. One reader for all of them: prints each progress line as Docker
 * does ("abc123def456: Pushed", or the bare status), returns the result, throws the error.
 */
import http from "node:http";
import https from "node:https";
import { CliError, codeForKind } from "./errors.js";
import { write } from "./output.js";
import { tlsOptions } from "./tls-trust.js";
import { teamHeader } from "./credentials.js";

export interface ProgressLine {
  progress?: { id: string; status: string };
  result?: unknown;
  error?: { kind?: string; message?: string };
}

export const formatProgress = (p: { id: string; status: string }) => (p.id ? `${p.id}: ${p.status}` : p.status);

/** A non-200 answer as the CliError its JSON names ({error: {kind, message}}). */
export async function responseError(res: http.IncomingMessage, fallback = `HTTP ${res.statusCode}`): Promise<CliError> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  let e: ProgressLine["error"];
  try {
    e = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as ProgressLine).error;
  } catch {
    /* not JSON */
  }
  if (res.statusCode === 401) return new CliError("UNAUTHORIZED", e?.message ?? fallback);
  return new CliError(res.statusCode === 403 ? "FORBIDDEN" : codeForKind(e?.kind), e?.message ?? fallback);
}

/**
 * Reads an NDJSON progress answer to its end; prints progress unless `quiet`. `what` names the
 * operation in messages ("the push"). Rejects with the CliError of an error line, or a
 * CONNECTION/BAD_RESPONSE error when the stream ends without a result.
 */
export async function readProgress<T>(res: http.IncomingMessage, o: { quiet: boolean; what: string; incomplete?: "CONNECTION" | "BAD_RESPONSE" }): Promise<T> {
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
      if (l.progress && !o.quiet) await write(process.stdout, `${formatProgress(l.progress)}\n`);
      if (l.result !== undefined) result = l.result as T;
      if (l.error) error = l.error;
    }
  }
  if (error) throw new CliError(codeForKind(error.kind), error.message ?? `${o.what} failed`);
  if (result === undefined) throw new CliError(o.incomplete ?? "CONNECTION", `the server closed the connection before ${o.what} finished`);
  return result;
}

/** POSTs a JSON body to one of the server's streaming routes; the answer is for readProgress (or responseError). */
export async function postJson(route: string, body: object): Promise<http.IncomingMessage> {
  const { connect } = await import("./client.js");
  const { url, token } = connect();
  const u = new URL(`${url.replace(/\/+$/, "")}${route}`);
  const text = JSON.stringify(body);
  const mod = u.protocol === "https:" ? https : http;
  const trust = await tlsOptions(u);
  return new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = mod.request(u, { ...trust, method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...(token ? { authorization: `Bearer ${token}` } : {}), ...teamHeader(url) } });
    req.once("response", resolve);
    req.once("error", (e) => reject(new CliError("CONNECTION", `cannot reach the Berth server at ${url}: ${e.message}`)));
    req.end(text);
  });
}
