/**
 * Error kinds, not messages. Created at the failure site with context; mapped to tRPC
 * codes in web, to exit codes in the CLI. Tests assert the kind.
 */
export type ErrorKind = "NotFound" | "AlreadyExists" | "InvalidArgument" | "FailedPrecondition" | "Unavailable" | "Unauthenticated" | "PermissionDenied";

export class BerthError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = kind;
  }
}

const make = (kind: ErrorKind) =>
  class extends BerthError {
    constructor(message: string, options?: { cause?: unknown }) {
      super(kind, message, options);
    }
  };

export const NotFound = make("NotFound");
export const AlreadyExists = make("AlreadyExists");
export const InvalidArgument = make("InvalidArgument");
export const FailedPrecondition = make("FailedPrecondition");
export const Unavailable = make("Unavailable");
export const Unauthenticated = make("Unauthenticated");
export const PermissionDenied = make("PermissionDenied");

const is = (kind: ErrorKind) => (e: unknown): e is BerthError => e instanceof BerthError && e.kind === kind;
export const isNotFound = is("NotFound");
export const isAlreadyExists = is("AlreadyExists");
export const isInvalidArgument = is("InvalidArgument");
export const isFailedPrecondition = is("FailedPrecondition");
export const isUnavailable = is("Unavailable");
export const isUnauthenticated = is("Unauthenticated");
export const isPermissionDenied = is("PermissionDenied");
