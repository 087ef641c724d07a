/**
 * The users and team most platform tests start from, made the way a site admin would: `berth
 * user create NAME --password-stdin` (so the user can also sign in to the dashboard) and `berth
 * team create|add`.
 */
import { spawnSync } from "node:child_process";
import { expect } from "vitest";
import { CLI, type Instance } from "./harness.js";

export type Role = "viewer" | "member" | "admin";

/** The password a test user gets unless the test says otherwise. */
export const passwordOf = (user: string): string => `${user}-has-a-long-password`;

/** Creates `name` with `password` as the site admin; returns the user's API token. */
export function createUser(b: Instance, name: string, password = passwordOf(name)): string {
  const made = spawnSync(process.execPath, [CLI, "user", "create", name, "--password-stdin"], {
    input: password,
    env: { ...process.env, BERTH_URL: b.url, BERTH_TOKEN: b.token, BERTH_HOME: b.home },
    encoding: "utf8",
  });
  expect(made.status, `user create ${name}: ${made.stderr}`).toBe(0);
  return made.stdout.trim();
}

/**
 * Creates each user (password from `passwordOf`) and adds them to `team` with their role,
 * creating the team first unless `opts.exists`; returns each user's API token.
 */
export async function setUpTeam(b: Instance, team: string, members: Record<string, Role>, opts: { exists?: boolean } = {}): Promise<Record<string, string>> {
  if (!opts.exists) {
    const made = await b.berth(["team", "create", team]);
    expect(made.code, `team create ${team}: ${made.stderr}`).toBe(0);
  }
  const tokens: Record<string, string> = {};
  for (const [user, role] of Object.entries(members)) {
    tokens[user] = createUser(b, user);
    const added = await b.berth(["team", "add", team, user, "--role", role]);
    expect(added.code, `team add ${team} ${user}: ${added.stderr}`).toBe(0);
  }
  return tokens;
}
