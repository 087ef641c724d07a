import { TRPCClientError } from "@trpc/client";
import { describe, expect, it } from "vitest";
import { CliError, codeForKind, exitCodeFor, toCliError } from "./errors.js";

const URL = "http://127.0.0.1:3000";
/** A TRPCClientError as the client builds it from a server error response. */
const serverError = (code: string, message: string, httpStatus: number) =>
  TRPCClientError.from({ error: { message, code: -32000, data: { code, httpStatus } } });
const fetchFailed = (code: string) =>
  TRPCClientError.from(new TypeError("fetch failed", { cause: Object.assign(new Error(`connect ${code}`), { code }) }));

describe("toCliError + exitCodeFor", () => {
  it.each([
    // [error, code, exit for other commands, exit for run]
    [serverError("NOT_FOUND", "No such image: x:latest", 404), "NOT_FOUND", 1, 125, "No such image: x:latest"],
    [serverError("NOT_FOUND", "No such container: x", 404), "NOT_FOUND", 1, 125, "No such container: x"],
    [serverError("CONFLICT", 'name "web" is already in use', 409), "CONFLICT", 1, 125, 'name "web" is already in use'],
    [serverError("SERVICE_UNAVAILABLE", "no worker host is online", 503), "SERVICE_UNAVAILABLE", 1, 125, "no worker host is online"],
    [serverError("INTERNAL_SERVER_ERROR", "no worker host is online", 500), "INTERNAL_SERVER_ERROR", 1, 125, "no worker host is online"],
    [serverError("UNAUTHORIZED", "whatever", 401), "UNAUTHORIZED", 1, 1, /^unauthorized: the token was refused by the Berth server at http:\/\/127\.0\.0\.1:3000/],
    [fetchFailed("ECONNREFUSED"), "CONNECTION", 1, 125, `cannot connect to the Berth server at ${URL}: is it running? (start it with: npm start)`],
    [fetchFailed("ENOTFOUND"), "CONNECTION", 1, 125, /^cannot connect/],
    [new CliError("NO_CREDENTIALS", "no credentials: …"), "NO_CREDENTIALS", 1, 1, "no credentials: …"],
    [Object.assign(new Error("invalid Berth configuration in the environment:\n  BERTH_URL: Invalid URL"), { name: "ConfigError" }), "CONFIG", 1, 125, "invalid Berth configuration in the environment: BERTH_URL: Invalid URL"],
    [new Error("boom\n    at somewhere"), "UNKNOWN", 1, 125, "boom"],
  ])("%s → %s", (err, code, other, run, message) => {
    const e = toCliError(err, URL);
    expect(e.code).toBe(code);
    expect(exitCodeFor(e, "other")).toBe(other);
    expect(exitCodeFor(e, "run")).toBe(run);
    if (typeof message === "string") expect(e.message).toBe(message);
    else expect(e.message).toMatch(message);
  });

  it("a response that is not tRPC (proxy page, other server) is reported with its HTTP status", () => {
    const err = TRPCClientError.from(new SyntaxError("Unexpected token '<'"), { meta: { response: { status: 502 } } });
    const e = toCliError(err, URL);
    expect(e.code).toBe("BAD_RESPONSE");
    expect(e.message).toBe(`unexpected response from the Berth server at ${URL}: HTTP 502`);
  });

  it("maps core error kinds (socket logs:error) to codes", () => {
    expect(codeForKind("NotFound")).toBe("NOT_FOUND");
    expect(codeForKind("Unauthenticated")).toBe("UNAUTHORIZED");
    expect(codeForKind("Weird")).toBe("INTERNAL_SERVER_ERROR");
    expect(codeForKind(undefined)).toBe("INTERNAL_SERVER_ERROR");
  });
});
