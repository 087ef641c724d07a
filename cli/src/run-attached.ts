/**
 * An attached, non-interactive `berth run` in one HTTP request (POST /api/v1/containers/run,
 * see web/src/server/containers/run-http.ts): the server creates the container and streams
 * its output and exit as NDJSON. Plain node:http, no tRPC or socket.io: for a short command
 * the client's start-up and handshakes are most of the time a run takes.
 */
import http from "node:http";
import type { Writable } from "node:stream";
import { CliError, codeForKind, unauthorizedMessage } from "./errors.js";
import type { Endpoint } from "./endpoint.js";
import { write } from "./output.js";
import { teamHeader } from "./credentials.js";

export const RUN_PATH = "/api/v1/containers/run";

/** What the route takes: the tRPC `container.run` input. */
export interface RunRequest {
  image: string;
  cmd?: string[];
  name?: string;
  autoRemove?: boolean;
  options?: Record<string, unknown>;
}

type Line = { id: string; name: string } | { stream: "stdout" | "stderr"; data: string } | { exitCode: number | null; error?: string };

export interface RunOutcome {
  id: string | undefined;
  exitCode: number | null;
  error?: string;
}

/**
 * Runs the container and copies its output to `out` in order; resolves once the exit came
 * (after all output has been written). Errors before the container exists reject as CliErrors.
 */
export async function runAttached(e: Endpoint, input: RunRequest, out: Record<"stdout" | "stderr", Writable> = { stdout: process.stdout, stderr: process.stderr }): Promise<RunOutcome> {
  const u = new URL(`${e.url.replace(/\/+$/, "")}${RUN_PATH}`);
  const body = JSON.stringify(input);
  // node:https (and tls) only for an https URL: loading them costs a plain run a few ms.
  const secure = u.protocol === "https:";
  const mod = secure ? (await import("node:https")).default : http;
  const trust = secure ? await (await import("./tls-trust.js")).tlsOptions(u) : {};
  const req = mod.request(u, {
    ...trust,
    method: "POST",
    headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...(e.token ? { authorization: `Bearer ${e.token}` } : {}), ...teamHeader(e.url) },
  });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once("response", resolve);
    req.once("error", reject);
    req.end(body);
  });
  if (res.statusCode !== 200) throw await failure(e.url, res);

  let id: string | undefined;
  let rest = "";
  res.setEncoding("utf8");
  for await (const chunk of res as AsyncIterable<string>) {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    // One write per run of lines to the same stream: few syscalls, order kept.
    let stream: "stdout" | "stderr" | undefined;
    let text = "";
    for (const raw of lines) {
      if (!raw) continue;
      const l = parse(e.url, raw);
      if ("data" in l) {
        if (stream !== l.stream && text) {
          await write(out[stream!], text);
          text = "";
        }
        stream = l.stream;
        text += l.data;
      } else if ("exitCode" in l) {
        if (text) await write(out[stream!], text);
        return { id, exitCode: l.exitCode, ...(l.error ? { error: l.error } : {}) };
      } else id = l.id;
    }
    if (text) await write(out[stream!], text);
  }
  throw new CliError("CONNECTION", `lost the connection to the Berth server at ${e.url} before the container exited${id ? ` (container ${id.slice(0, 12)} may still be running)` : ""}`);
}

function parse(url: string, raw: string): Line {
  try {
    return JSON.parse(raw) as Line;
  } catch {
    throw new CliError("BAD_RESPONSE", `unexpected response from the Berth server at ${url}: ${raw.slice(0, 80)}`);
  }
}

/** A non-200 answer as the CliError its JSON names ({error: {kind, message}}). */
async function failure(url: string, res: http.IncomingMessage): Promise<CliError> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  if (res.statusCode === 401) return new CliError("UNAUTHORIZED", unauthorizedMessage(url));
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { error?: { kind?: string; message?: string } };
    if (body.error?.message) return new CliError(res.statusCode === 403 ? "FORBIDDEN" : codeForKind(body.error.kind), body.error.message);
  } catch {
    /* not ours */
  }
  // 404 from an older server without this route would land here too.
  return new CliError("BAD_RESPONSE", `unexpected response from the Berth server at ${url}: HTTP ${res.statusCode}`);
}

/** `berth run` without -d/-i/-t: the container's exit code is ours; 125 when it never produced one. */
export async function runAttachedCommand(input: RunRequest): Promise<number> {
  const [{ endpoint }, { quickClientConfig }] = await Promise.all([import("./endpoint.js"), import("@berth/core/client-config")]);
  // The usual environment needs no zod; anything else gets config()'s value or its error.
  const cfg = quickClientConfig() ?? (await import("@berth/core")).config();
  const r = await runAttached(endpoint(cfg), input);
  if (r.error) await write(process.stderr, `berth: ${r.error}\n`);
  return r.exitCode ?? 125;
}
