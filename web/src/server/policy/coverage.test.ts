import { describe, expect, it } from "vitest";
import { appRouter } from "../routers/_app.js";
import { ACCOUNT_ACTIONS, TEAM_ACTIONS } from "./roles.js";

/**
 * Every tRPC procedure declares its policy (teamProcedure(action), openProcedure,
 * selfProcedure or siteProcedure): a new procedure without one fails here.
 */
describe("every tRPC procedure has a declared policy", () => {
  const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { meta?: { policy?: string } } }>);
  const known = new Set<string>([...TEAM_ACTIONS, ...ACCOUNT_ACTIONS]);

  it("walks a router that has procedures", () => {
    expect(procedures.length).toBeGreaterThan(50);
  });

  it.each(procedures.map(([path, p]) => [path, p._def.meta?.policy] as const))("%s → %s", (_path, policy) => {
    expect(policy).toBeDefined();
    expect(known.has(policy!)).toBe(true);
  });

  it("keeps no-sign-in procedures to the few that need none", () => {
    const open = procedures.filter(([, p]) => p._def.meta?.policy === "public").map(([path]) => path).sort();
    expect(open).toEqual(["auth.login", "auth.setup", "auth.status", "search.query", "token.login"]);
  });
});
