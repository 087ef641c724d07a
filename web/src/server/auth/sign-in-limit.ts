import { TRPCError } from "@trpc/server";
import { FailureLimiter } from "../registry/token.js";

/**
 * Password guessing is bounded twice: per user name (one account attacked from many
 * addresses) and per client address (one address trying many accounts). Only failures count;
 * a success clears the name's count.
 */
const PER_NAME = { limit: 5, windowMs: 5 * 60_000 };
const PER_ADDRESS = { limit: 20, windowMs: 5 * 60_000 };

export class SignInLimiter {
  private readonly byName = new FailureLimiter(PER_NAME.limit, PER_NAME.windowMs);
  private readonly byAddress = new FailureLimiter(PER_ADDRESS.limit, PER_ADDRESS.windowMs);

  /** Throws TOO_MANY_REQUESTS ("try again in N s") when either count is used up. */
  check(name: string, address: string | undefined, now = Date.now()): void {
    const wait = Math.max(this.byName.blocked(nameKey(name), now), this.byAddress.blocked(address ?? "unknown", now));
    if (wait > 0) throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: `too many failed sign-in attempts: try again in ${wait} s` });
  }

  fail(name: string, address: string | undefined, now = Date.now()): void {
    this.byName.fail(nameKey(name), now);
    this.byAddress.fail(address ?? "unknown", now);
  }

  succeed(name: string): void {
    this.byName.clear(nameKey(name));
  }
}

// Names are matched case-insensitively, so "Alice" and "alice" share one count.
const nameKey = (name: string) => name.trim().toLowerCase();

/** One limiter for every way a password is checked (dashboard, `berth login`, `berth passwd`). */
export const signInLimiter = new SignInLimiter();
