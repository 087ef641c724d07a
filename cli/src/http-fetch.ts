/**
 * The little of fetch() the tRPC client needs (method, headers, a string body, a signal; then
 * status and json()), on node:http. Node 20's global fetch loads undici on first use, which
 * costs a CLI process about 100 ms of CPU: more than the rest of a command like `berth ps`.
 */
import http from "node:http";
import https from "node:https";
import { tlsOptions } from "./tls-trust.js";

export interface FetchInit {
  method?: string;
  /** A plain object, [name, value] pairs, or a Headers. */
  headers?: unknown;
  body?: unknown;
  signal?: AbortSignal | null;
}

function headerRecord(h: unknown): Record<string, string> {
  if (!h) return {};
  if (Array.isArray(h)) return Object.fromEntries(h as [string, string][]);
  if (typeof (h as Headers).entries === "function") return Object.fromEntries((h as Headers).entries());
  return { ...(h as Record<string, string>) };
}

export interface FetchResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: { get(name: string): string | null };
  json(): Promise<unknown>;
  text(): Promise<string>;
}

export function httpFetch(input: string | URL | { url: string }, init: FetchInit = {}): Promise<FetchResponse> {
  const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
  if (init.body != null && typeof init.body !== "string" && !(init.body instanceof Uint8Array)) {
    return Promise.reject(new TypeError("httpFetch: only string and Uint8Array bodies are supported"));
  }
  const body = (init.body ?? undefined) as string | Uint8Array | undefined;
  const headers = headerRecord(init.headers);
  if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
  return tlsOptions(url).then((trust) => new Promise((resolve, reject) => {
    const req = (url.protocol === "https:" ? https : http).request(url, { ...trust, method: init.method ?? "GET", headers, ...(init.signal ? { signal: init.signal } : {}) });
    req.once("error", reject);
    req.once("response", (res) => {
      const chunks: Buffer[] = [];
      const text = new Promise<string>((done, fail) => {
        res.on("data", (c: Buffer) => chunks.push(c));
        res.once("end", () => done(Buffer.concat(chunks).toString("utf8")));
        res.once("error", fail);
      });
      // Read it whether or not the caller asks: the socket must not stay open on an unread body.
      text.catch(() => {});
      const status = res.statusCode ?? 0;
      resolve({
        ok: status >= 200 && status < 300,
        status,
        statusText: res.statusMessage ?? "",
        headers: { get: (name) => {
          const v = res.headers[name.toLowerCase()];
          return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
        } },
        text: () => text,
        json: async () => JSON.parse(await text) as unknown,
      });
    });
    req.end(body);
  }));
}
