/**
 * Every failure the CLI reports goes through here: anything thrown (tRPC client errors,
 * fetch/socket failures, our own CliError) becomes one CliError with a code, and the code
 * decides the exit status. This file is the one place exit codes are decided.
 *
 * Codes are the tRPC error codes the server sends (NOT_FOUND, CONFLICT, …) plus a few
 * client-side ones (CONNECTION, NO_CREDENTIALS, BAD_RESPONSE, USAGE).
 * Nothing here imports @trpc/client: errors are recognised by shape, so loading this file
 * costs nothing at start-up.
 */

export type ClientCode = "CONNECTION" | "NO_CREDENTIALS" | "BAD_RESPONSE" | "USAGE" | "FLAG" | "CONFIG" | "UNKNOWN";
/** A ClientCode, or a tRPC error code as the server sent it (NOT_FOUND, CONFLICT, …). */
export type ErrorCode = string;

/** Which command failed: `run` follows docker and reports its own failures as 125. */
export type CommandKind = "run" | "other";

export class CliError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/**
 * Exit status per error code. `run` exits 125 when berth itself failed (docker's convention,
 * so 126/127/other codes always mean the container's command), except for credential
 * problems, which exit 1 everywhere.
 */
const EXIT: Record<string, { other: number; run: number }> = {
  // Credentials: 1 everywhere.
  NO_CREDENTIALS: { other: 1, run: 1 },
  UNAUTHORIZED: { other: 1, run: 1 },
  FORBIDDEN: { other: 1, run: 1 },
  // The server is unreachable or answered something that is not Berth.
  CONNECTION: { other: 1, run: 125 },
  BAD_RESPONSE: { other: 1, run: 125 },
  // The server refused the request.
  NOT_FOUND: { other: 1, run: 125 },
  CONFLICT: { other: 1, run: 125 },
  BAD_REQUEST: { other: 1, run: 125 },
  PRECONDITION_FAILED: { other: 1, run: 125 },
  SERVICE_UNAVAILABLE: { other: 1, run: 125 },
  INTERNAL_SERVER_ERROR: { other: 1, run: 125 },
  // Local problems: bad arguments, bad environment, anything unforeseen.
  USAGE: { other: 1, run: 125 },
  // An unknown flag, or a value its flag cannot take (`ps --bogus`, `stop -t soon`): 125 for every
  // command, as Docker's client exits when its flag parser refuses.
  FLAG: { other: 125, run: 125 },
  CONFIG: { other: 1, run: 125 },
  UNKNOWN: { other: 1, run: 125 },
};
/** Any other tRPC code (TIMEOUT, TOO_MANY_REQUESTS, …). */
const DEFAULT_EXIT = { other: 1, run: 125 };

export function exitCodeFor(err: CliError, command: CommandKind): number {
  return (EXIT[err.code] ?? DEFAULT_EXIT)[command];
}

/** Server error kinds (core ErrorKind, as sent in socket `logs:error`) → codes. */
const KIND_TO_CODE: Record<string, ErrorCode> = {
  NotFound: "NOT_FOUND",
  AlreadyExists: "CONFLICT",
  InvalidArgument: "BAD_REQUEST",
  FailedPrecondition: "PRECONDITION_FAILED",
  Unavailable: "SERVICE_UNAVAILABLE",
  Unauthenticated: "UNAUTHORIZED",
  PermissionDenied: "FORBIDDEN",
};
export function codeForKind(kind: string | undefined): ErrorCode {
  return (kind && KIND_TO_CODE[kind]) || "INTERNAL_SERVER_ERROR";
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "EPIPE",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
]);

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec | undefined => (v && typeof v === "object" ? (v as Rec) : undefined);

/** True if the error, its causes, or an AggregateError inside, is a network failure. */
export function isNetworkError(err: unknown, depth = 0): boolean {
  const e = rec(err);
  if (!e || depth > 8) return false;
  if (typeof e.code === "string" && NETWORK_CODES.has(e.code)) return true;
  // undici's fetch rejects with TypeError("fetch failed") when no HTTP response came back at all.
  if (e.name === "TypeError" && e.message === "fetch failed") return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => isNetworkError(x, depth + 1))) return true;
  return isNetworkError(e.cause, depth + 1);
}

export const connectionMessage = (url: string) =>
  `cannot connect to the Berth server at ${url}: is it running? (start it with: npm start)`;
export const unauthorizedMessage = (url: string) =>
  `unauthorized: the token was refused by the Berth server at ${url} (check BERTH_TOKEN, or $BERTH_HOME/admin.token on the host)`;
export const noCredentialsMessage =
  "no credentials: set BERTH_TOKEN, run `berth login`, or run as root on the Berth host (reads $BERTH_HOME/admin.token)";

/** Turn anything thrown into a CliError with a one-line message. */
export function toCliError(err: unknown, url: string): CliError {
  if (err instanceof CliError) return err;
  const e = rec(err);
  if (e?.name === "ConfigError") return new CliError("CONFIG", oneLine(String(e.message)));
  if (e?.name === "TRPCClientError") {
    const data = rec(e.data);
    const code = typeof data?.code === "string" ? (data.code as string) : undefined;
    const status = (rec(rec(e.meta)?.response)?.status as number | undefined) ?? (data?.httpStatus as number | undefined);
    if (code === "UNAUTHORIZED" || status === 401) return new CliError("UNAUTHORIZED", unauthorizedMessage(url));
    if (code) return new CliError(code, firstLine(String(e.message)));
    if (isNetworkError(err)) return new CliError("CONNECTION", connectionMessage(url));
    // The body was not a tRPC response (a proxy's error page, a different server on the port, …).
    const what = status ? `HTTP ${status}` : firstLine(String(e.message));
    return new CliError("BAD_RESPONSE", `unexpected response from the Berth server at ${url}: ${what}`);
  }
  if (isNetworkError(err)) return new CliError("CONNECTION", connectionMessage(url));
  const msg = e && typeof e.message === "string" ? e.message : String(err);
  return new CliError("UNKNOWN", firstLine(msg));
}

/** "a:\n  b\n  c" → "a: b; c" */
function oneLine(s: string): string {
  const [head = "", ...rest] = s.split("\n").map((l) => l.trim()).filter(Boolean);
  return rest.length ? `${head.replace(/:$/, "")}: ${rest.join("; ")}` : head;
}

function firstLine(s: string): string {
  const line = s.split("\n", 1)[0]?.trim();
  return line || "unknown error";
}
