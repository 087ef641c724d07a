import type { ServerResponse } from "node:http";
import { TRPCError } from "@trpc/server";
import { BerthError, storageErrorOf, type ErrorKind } from "@berth/core";

/** The one place that maps core error kinds to tRPC codes. */
export const TRPC_CODE: Record<ErrorKind, TRPCError["code"]> = {
  NotFound: "NOT_FOUND",
  InvalidArgument: "BAD_REQUEST",
  AlreadyExists: "CONFLICT",
  FailedPrecondition: "PRECONDITION_FAILED",
  Unavailable: "SERVICE_UNAVAILABLE",
  Unauthenticated: "UNAUTHORIZED",
  PermissionDenied: "FORBIDDEN",
};

/** The one place that maps core error kinds to HTTP statuses (Berth's streaming HTTP routes). */
export const HTTP_STATUS: Record<ErrorKind, number> = {
  NotFound: 404,
  InvalidArgument: 400,
  AlreadyExists: 409,
  FailedPrecondition: 412,
  Unavailable: 503,
  Unauthenticated: 401,
  PermissionDenied: 403,
};

/** A JSON answer that is never cached. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

const KINDS = new Set(Object.keys(TRPC_CODE));

/** A BerthError, also when it crossed a module boundary (checked by shape, not identity). */
export function asBerthError(e: unknown): BerthError | undefined {
  if (e instanceof BerthError) return e;
  const kind = e instanceof Error ? (e as unknown as { kind?: unknown }).kind : undefined;
  if (typeof kind === "string" && KINDS.has(kind)) return e as BerthError;
  // A locked or full database, a full disk: said as such, not as an internal error.
  return storageErrorOf(e);
}

export function toTRPCError(e: BerthError): TRPCError {
  return new TRPCError({ code: TRPC_CODE[e.kind], message: e.message, cause: e });
}

/** The error kind carried to clients in `error.data.kind` (for socket.io errors too). */
export function errorKind(e: unknown): ErrorKind | "Internal" {
  return asBerthError(e)?.kind ?? "Internal";
}

const KIND_OF_CODE = new Map<string, ErrorKind>(Object.entries(TRPC_CODE).map(([kind, code]) => [code, kind as ErrorKind]));

/** The kind for an error raised as a tRPC code directly (auth checks, input validation). */
export const kindForCode = (code: string): ErrorKind | undefined => KIND_OF_CODE.get(code);
