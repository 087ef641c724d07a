import type { IncomingMessage, ServerResponse } from "node:http";
import { RegistryError } from "./errors.js";

export type Headers = Record<string, string | number | string[]>;

export function send(res: ServerResponse, status: number, headers: Headers = {}, body?: string | Buffer, head = false): void {
  const h: Headers = { ...headers };
  if (body !== undefined) h["content-length"] = Buffer.byteLength(body);
  else if (h["content-length"] === undefined) h["content-length"] = 0;
  res.writeHead(status, h);
  res.end(head ? undefined : body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Headers = {}, head = false): void {
  send(res, status, { "content-type": "application/json; charset=utf-8", ...headers }, JSON.stringify(value), head);
}

export function sendError(res: ServerResponse, err: RegistryError, head: boolean): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  send(res, err.status, { "content-type": "application/json; charset=utf-8", ...err.headers }, err.body(), head);
}

/** The whole request body, refused past `limit` bytes (413). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    throw new RegistryError("SIZE_INVALID", `body too large: ${declared} bytes (limit ${limit})`, { status: 413 });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new RegistryError("SIZE_INVALID", `body too large (limit ${limit} bytes)`, { status: 413 });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Discards whatever body a request carries, so the connection can be reused. */
export function drain(req: IncomingMessage): void {
  if (!req.complete) req.resume();
}

/** The base URL the client used (for the token realm and absolute links). */
export function externalBase(req: IncomingMessage): string {
  const proto = String(req.headers["x-forwarded-proto"] ?? "").split(",")[0]?.trim() || ((req.socket as { encrypted?: boolean }).encrypted ? "https" : "http");
  const host = String(req.headers["x-forwarded-host"] ?? "").split(",")[0]?.trim() || req.headers.host || "127.0.0.1";
  return `${proto}://${host}`;
}

/**
 * A single `Range: bytes=…` request against a blob of `size` bytes: the inclusive byte span,
 * "unsatisfiable" (416), or undefined to send everything (no header, or several ranges).
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  if (!header) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return header.includes(",") ? undefined : "unsatisfiable";
  const [, a = "", b = ""] = m;
  if (a === "" && b === "") return "unsatisfiable";
  if (a === "") {
    const n = Number(b);
    if (n === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size || end < start) return "unsatisfiable";
  return { start, end };
}

/** `Link: <path?n=…&last=…>; rel="next"` for paginated lists. */
export function nextLink(path: string, n: number, last: string, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({ ...extra, n: String(n), last });
  return `<${path}?${q.toString()}>; rel="next"`;
}

/** `n` and `last` of a paginated list; n is capped at `max`. */
export function pageParams(q: URLSearchParams, max: number): { n: number; last: string | undefined } {
  const raw = q.get("n");
  let n = max;
  if (raw !== null && raw !== "") {
    const v = Number(raw);
    if (!Number.isInteger(v) || v < 0) throw new RegistryError("PAGINATION_NUMBER_INVALID", `invalid n "${raw}": want a whole number`);
    n = Math.min(v, max);
  }
  const last = q.get("last") || undefined;
  return { n, last };
}
