import { asBerthError } from "../errors.js";
import type { ErrorKind } from "@berth/core";

/** The distribution spec's error codes, with the HTTP status each is sent with. */
export const REGISTRY_ERRORS = {
  BLOB_UNKNOWN: { status: 404, message: "blob unknown to registry" },
  BLOB_UPLOAD_INVALID: { status: 400, message: "blob upload invalid" },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: "blob upload unknown to registry" },
  DIGEST_INVALID: { status: 400, message: "provided digest did not match uploaded content" },
  MANIFEST_BLOB_UNKNOWN: { status: 400, message: "manifest references a blob unknown to registry" },
  MANIFEST_INVALID: { status: 400, message: "manifest invalid" },
  MANIFEST_UNKNOWN: { status: 404, message: "manifest unknown to registry" },
  NAME_INVALID: { status: 400, message: "invalid repository name" },
  NAME_UNKNOWN: { status: 404, message: "repository name not known to registry" },
  SIZE_INVALID: { status: 400, message: "provided length did not match content length" },
  UNAUTHORIZED: { status: 401, message: "authentication required" },
  DENIED: { status: 403, message: "requested access to the resource is denied" },
  PAGINATION_NUMBER_INVALID: { status: 400, message: "invalid number of results requested" },
  UNSUPPORTED: { status: 405, message: "the operation is unsupported" },
  TOOMANYREQUESTS: { status: 429, message: "too many requests" },
  UNAVAILABLE: { status: 503, message: "service unavailable" },
} as const;

export type RegistryCode = keyof typeof REGISTRY_ERRORS;

export interface RegistryErrorOptions {
  status?: number;
  detail?: unknown;
  headers?: Record<string, string>;
  cause?: unknown;
}

/** An error answered in the spec's JSON form: `{"errors":[{code,message,detail}]}`. */
export class RegistryError extends Error {
  readonly status: number;
  readonly detail: unknown;
  readonly headers: Record<string, string>;
  constructor(
    readonly code: RegistryCode,
    message?: string,
    opts: RegistryErrorOptions = {},
  ) {
    super(message ?? REGISTRY_ERRORS[code].message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "RegistryError";
    this.status = opts.status ?? REGISTRY_ERRORS[code].status;
    this.detail = opts.detail;
    this.headers = opts.headers ?? {};
  }

  body(): string {
    const e: { code: string; message: string; detail?: unknown } = { code: this.code, message: this.message };
    if (this.detail !== undefined) e.detail = this.detail;
    return JSON.stringify({ errors: [e] });
  }
}

/** The one place core error kinds become registry error codes (for kinds a handler did not translate itself). */
export const REGISTRY_CODE: Record<ErrorKind, RegistryCode> = {
  NotFound: "NAME_UNKNOWN",
  InvalidArgument: "UNSUPPORTED",
  AlreadyExists: "DENIED",
  FailedPrecondition: "DENIED",
  Unavailable: "UNAVAILABLE",
  Unauthenticated: "UNAUTHORIZED",
  PermissionDenied: "DENIED",
};

/** A RegistryError for anything thrown; undefined for unexpected errors (answered as 500). */
export function toRegistryError(e: unknown): RegistryError | undefined {
  if (e instanceof RegistryError) return e;
  const berth = asBerthError(e);
  if (!berth) return undefined;
  const code = REGISTRY_CODE[berth.kind];
  return new RegistryError(code, berth.message, berth.kind === "InvalidArgument" ? { status: 400, cause: e } : { cause: e });
}
