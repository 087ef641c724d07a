/**
 * Runs `git http-backend` (git's own smart HTTP server, a CGI program) for one request: the
 * request's body streams into it, its CGI headers become the response's status and headers, and
 * the rest of its output streams back as it comes (a push's hook output arrives live).
 */
import { spawn } from "node:child_process";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "@berth/core";

export interface CgiRequest {
  /** GIT_PROJECT_ROOT */
  root: string;
  /** `/<repo path>/<service path>` under root */
  pathInfo: string;
  query: string;
  remoteUser: string;
  /** Extra variables for git and its hooks. */
  env: Record<string, string>;
}

const BACKEND = "/usr/lib/git-core/git-http-backend";

/** Splits CGI output's header block into a status and headers. */
export function parseCgiHeaders(block: string): { status: number; headers: [string, string][] } {
  let status = 200;
  const headers: [string, string][] = [];
  for (const line of block.split(/\r?\n/)) {
    if (!line) continue;
    const i = line.indexOf(":");
    if (i < 1) continue;
    const name = line.slice(0, i).trim();
    const value = line.slice(i + 1).trim();
    if (name.toLowerCase() === "status") status = Number.parseInt(value, 10) || 500;
    else headers.push([name, value]);
  }
  return { status, headers };
}

/** Serves the request through git http-backend; resolves when the response has ended. */
export function runHttpBackend(req: IncomingMessage, res: ServerResponse, c: CgiRequest, log: Logger): Promise<void> {
  const h = req.headers;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/",
    GIT_PROJECT_ROOT: c.root,
    GIT_HTTP_EXPORT_ALL: "1",
    GATEWAY_INTERFACE: "CGI/1.1",
    PATH_INFO: c.pathInfo,
    QUERY_STRING: c.query,
    REQUEST_METHOD: req.method ?? "GET",
    CONTENT_TYPE: h["content-type"] ?? "",
    REMOTE_USER: c.remoteUser,
    REMOTE_ADDR: req.socket.remoteAddress ?? "",
    // http-backend inflates a gzip request body itself (git sends large fetch negotiations gzipped)
    ...(h["content-encoding"] ? { HTTP_CONTENT_ENCODING: String(h["content-encoding"]) } : {}),
    // a chunked body has no length: http-backend then reads to the end
    ...(h["content-length"] ? { CONTENT_LENGTH: String(h["content-length"]) } : {}),
    // protocol v2 is asked for in this header
    ...(h["git-protocol"] ? { GIT_PROTOCOL: String(h["git-protocol"]) } : {}),
    ...c.env,
  };
  return new Promise((resolve) => {
    // a CGI environment is built whole: nothing of web's own leaks into git
    const child = spawn(BACKEND, [], { env: env as NodeJS.ProcessEnv, stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-4000)));
    let head = Buffer.alloc(0);
    let started = false;
    const fail = (why: string) => {
      log.error({ path: c.pathInfo, why, stderr }, "git http-backend failed");
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end(`git http-backend failed: ${why}\n`);
      } else res.destroy();
    };
    child.on("error", (err) => fail(`${err.message} (is git installed? ${BACKEND})`));
    child.stdout.on("data", (chunk: Buffer) => {
      if (started) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const crlf = head.indexOf("\r\n\r\n");
      const lf = head.indexOf("\n\n");
      const end = crlf >= 0 && (lf < 0 || crlf < lf) ? { at: crlf, len: 4 } : lf >= 0 ? { at: lf, len: 2 } : null;
      if (!end) {
        if (head.length > 64 * 1024) {
          child.kill();
          fail("no end to its CGI headers");
        }
        return;
      }
      started = true;
      const { status, headers } = parseCgiHeaders(head.subarray(0, end.at).toString("latin1"));
      res.writeHead(status, headers.flat());
      // git waits for each sideband packet (a hook's lines): no buffering on the way
      res.flushHeaders();
      const rest = head.subarray(end.at + end.len);
      if (rest.length) res.write(rest);
    });
    child.on("close", (code) => {
      if (!started) fail(`exited ${code} before answering${stderr ? `: ${stderr.trim()}` : ""}`);
      else res.end();
      resolve();
    });
    req.pipe(child.stdin);
    child.stdin.on("error", () => {
      /* git stopped reading (it answered an error): its answer still goes out */
    });
    req.on("aborted", () => child.kill());
    res.on("close", () => {
      if (child.exitCode === null) child.kill();
    });
  });
}
