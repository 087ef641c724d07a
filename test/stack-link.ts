/**
 * What the port-link tests (edge fast path, stack freeze, stack ports) start from: a user acting
 * through the CLI in a team of their own, and a stack written to a compose file and brought up by
 * that user, serving a page through a port link.
 */
import fs from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import type { Instance, RunResult } from "./harness.js";
import { createUser, passwordOf } from "./team-setup.js";

/** A user with their own CLI config, acting in `team`. */
export interface Member {
  name: string;
  token: string;
  berth(args: string[]): Promise<RunResult>;
  /** `berth ARGS` that must succeed; answers its result. */
  ok(args: string[]): Promise<RunResult>;
}

/** Creates `user` (as the site admin), who then creates `team` and acts in it. */
export async function memberWithTeam(b: Instance, user: string, team: string, password = passwordOf(user)): Promise<Member> {
  const token = createUser(b, user, password);
  const env = { BERTH_TOKEN: token, XDG_CONFIG_HOME: `${b.home}/cfg-${user}` };
  const made = await b.berth(["team", "create", team], { env });
  expect(made.code, `team create ${team}: ${made.stderr}`).toBe(0);
  const berth = (args: string[]) => b.berth(args, { env: { ...env, BERTH_TEAM: team }, timeoutMs: 180_000 });
  return {
    name: user,
    token,
    berth,
    ok: async (args) => {
      const r = await berth(args);
      expect(r.code, `berth ${args.join(" ")}: ${r.stderr}`).toBe(0);
      return r;
    },
  };
}

/**
 * A busybox httpd on `port` whose /file holds a value made once, when the server process
 * started: the same value later means the same process served it (frozen and thawed, not
 * restarted). A compose `command:` in YAML flow form.
 */
export const startedServer = (port = 8080) => `["sh", "-c", "mkdir -p /www && echo \\"started $$(cat /proc/sys/kernel/random/uuid)\\" > /www/file && exec httpd -f -p ${port} -h /www"]`;

/** The stack link of `service:port` of stack `stack` in `team`, through the instance's edge. */
export const stackLink = (b: Instance, stack: string, team: string, service: string, port: number) => `http://${service}-${port}--${stack}--${team}.localhost:${b.edgePort}`;

/** Writes `compose` to `work/<stack>/compose.yaml` and `member` brings the stack up (detached); answers the file's path. */
export async function stackWithLink(member: Member, work: string, stack: string, compose: string): Promise<string> {
  const dir = path.join(work, stack);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "compose.yaml");
  fs.writeFileSync(file, compose);
  await member.ok(["stack", "-f", file, "up", "-d"]);
  return file;
}
