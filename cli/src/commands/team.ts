import type { Command } from "commander";
import { action } from "../action.js";
import { CliError } from "../errors.js";

const ROLES = ["viewer", "member", "admin", "owner"];

async function session() {
  const [{ connect }, { write }, { table }] = await Promise.all([import("../client.js"), import("../output.js"), import("../format.js")]);
  const s = connect();
  return { s, api: s.api, out: (text: string) => write(process.stdout, text), table };
}

function role(r: string): "viewer" | "member" | "admin" | "owner" {
  if (!ROLES.includes(r)) throw new CliError("USAGE", `unknown role "${r}": use one of ${ROLES.join(", ")}`);
  return r as "member";
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `--ttl 24h`: seconds from s, m, h or d (a bare number is seconds). */
export function parseTtl(text: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!m) throw new CliError("USAGE", `invalid --ttl "${text}": use a number with a unit s, m, h or d (e.g. 24h)`);
  return Number(m[1]) * UNITS[m[2] || "s"]!;
}

/** `team join`: the token, or the whole link it came in. */
export function inviteToken(arg: string): string {
  const m = /\/invite\/([^/?#\s]+)/.exec(arg);
  return decodeURIComponent(m ? m[1]! : arg.trim());
}

/** A quota flag: a number, or "none" to remove the limit. */
async function limit(flag: string, text: string | undefined, parse: (t: string) => number): Promise<number | null | undefined> {
  if (text === undefined) return undefined;
  if (/^(none|unlimited)$/i.test(text.trim())) return null;
  try {
    const n = parse(text);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${text} is not a non-negative number`);
    return n;
  } catch (err) {
    throw new CliError("USAGE", `invalid ${flag} "${text}": ${(err as Error).message} (or "none" to remove the limit)`);
  }
}

/** `berth team …`: create, list and remove teams, their members, and the team commands act in. */
export function register(program: Command): Command {
  const cmd = program.command("team").description("Manage teams and the current team").usage("COMMAND").helpCommand(false);
  cmd
    .command("create")
    .description("Create a team (you become its owner)")
    .argument("<name>", "team name (also its registry namespace)")
    .action(
      action("other", async (name: string) => {
        const { api, out } = await session();
        const t = await api.team.create.mutate({ name });
        await out(`${t.name}\n`);
      }),
    );
  cmd
    .command("ls")
    .alias("list")
    .description("List your teams (the current one marked *)")
    .option("-a, --all", "every team (site admin)")
    .option("-q, --quiet", "only names")
    .action(
      action("other", async (opts: { all?: boolean; quiet?: boolean }) => {
        const { s, api, out, table } = await session();
        const { currentTeam } = await import("../credentials.js");
        const [teams, current] = await Promise.all([api.team.list.query({ all: !!opts.all }), api.team.current.query(currentTeam(s.url) ? { team: currentTeam(s.url)! } : undefined)]);
        if (opts.quiet) return out(teams.map((t) => `${t.name}\n`).join(""));
        await out(table(["NAME", "ROLE", "MEMBERS", "PERSONAL", "CURRENT"], teams.map((t) => [t.name, t.role ?? "-", String(t.members), t.personal ? "yes" : "", t.name === current.name ? "*" : ""])));
      }),
    );
  cmd
    .command("rm")
    .description("Remove a team (owner; it must own nothing)")
    .argument("<name>")
    .action(
      action("other", async (name: string) => {
        const { api, out } = await session();
        await api.team.remove.mutate({ team: name });
        await out(`${name}\n`);
      }),
    );
  cmd
    .command("add")
    .description("Add a user to a team, or change their role")
    .argument("<team>")
    .argument("<user>")
    .option("--role <role>", `one of ${ROLES.join(", ")}`, "member")
    .action(
      action("other", async (team: string, user: string, opts: { role: string }) => {
        const { api, out } = await session();
        const m = await api.team.addMember.mutate({ team, user, role: role(opts.role) });
        await out(`${m.user} ${m.role}\n`);
      }),
    );
  cmd
    .command("remove")
    .description("Remove a user from a team")
    .argument("<team>")
    .argument("<user>")
    .action(
      action("other", async (team: string, user: string) => {
        const { api, out } = await session();
        await api.team.removeMember.mutate({ team, user });
        await out(`${user}\n`);
      }),
    );
  cmd
    .command("members")
    .description("List a team's members")
    .argument("[team]", "the team (default: the current one)")
    .action(
      action("other", async (team: string | undefined) => {
        const { api, out, table } = await session();
        const ms = await api.team.members.query(team ? { team } : undefined);
        await out(table(["USER", "ROLE"], ms.map((m) => [m.user, m.role])));
      }),
    );
  cmd
    .command("invite")
    .description("Print a one-time link that joins whoever opens it (signed in) to the team")
    .argument("<team>")
    .option("--role <role>", `one of ${ROLES.join(", ")}`, "member")
    .option("--ttl <duration>", "how long the link works (s, m, h or d; at most 7d)", "24h")
    .action(
      action("other", async (team: string, opts: { role: string; ttl: string }) => {
        const ttlSeconds = parseTtl(opts.ttl);
        const { s, api, out } = await session();
        const inv = await api.team.invite.mutate({ team, role: role(opts.role), ttlSeconds });
        process.stderr.write(`invitation to team ${inv.team} as ${inv.role}, usable once until ${inv.expiresAt}:\n`);
        await out(`${s.url.replace(/\/+$/, "")}/invite/${inv.token}\n`);
      }),
    );
  cmd
    .command("join")
    .description("Join a team with an invitation (the token or the whole link)")
    .argument("<token>")
    .action(
      action("other", async (token: string) => {
        const { api, out } = await session();
        const r = await api.team.acceptInvite.mutate({ token: inviteToken(token) });
        await out(`joined team ${r.team} as ${r.role}\n`);
      }),
    );
  cmd
    .command("quota")
    .description("Show a team's quotas, or set them (site admin; \"none\" removes one)")
    .argument("<team>")
    .option("--containers <n>", "containers running at once")
    .option("--memory <size>", "memory of its containers in total (e.g. 2g); each needs -m")
    .option("--cpus <n>", "CPUs of its containers in total (e.g. 4); each needs --cpus")
    .option("--disk <size>", "disk for its images and volumes (e.g. 10g)")
    .action(
      action("other", async (team: string, opts: { containers?: string; memory?: string; cpus?: string; disk?: string }) => {
        const { parseBytes } = await import("@berth/core");
        const int = (t: string) => {
          if (!/^\d+$/.test(t.trim())) throw new Error("use a whole number");
          return Number(t);
        };
        const q = {
          containers: await limit("--containers", opts.containers, int),
          memory: await limit("--memory", opts.memory, parseBytes),
          cpus: await limit("--cpus", opts.cpus, Number),
          disk: await limit("--disk", opts.disk, parseBytes),
        };
        const { api, out, table } = await session();
        const set = Object.values(q).some((v) => v !== undefined);
        const r = set ? await api.team.setQuota.mutate({ team, ...q }) : await api.team.quota.query({ team });
        const size = (n: number | null) => (n === null ? "-" : `${(n / 1024 ** 2).toFixed(0)}MiB`);
        await out(table(["TEAM", "CONTAINERS", "MEMORY", "CPUS", "DISK"], [[r.team, r.containers === null ? "-" : String(r.containers), size(r.memory), r.cpus === null ? "-" : String(r.cpus), size(r.disk)]]));
      }),
    );
  cmd
    .command("set")
    .description("Show a team's settings, or change them (admins): --freeze-after is how long a stack may idle before it freezes")
    .argument("<team>")
    .option("--freeze-after <duration>", "idle time before a stack freezes (e.g. 30m, 2h; off: never); a stack's x-berth.freeze_after wins")
    .action(
      action("other", async (team: string, opts: { freezeAfter?: string }) => {
        const { api, out, table } = await session();
        const r = opts.freezeAfter !== undefined ? await api.team.set.mutate({ team, freezeAfter: opts.freezeAfter }) : await api.team.settings.query({ team });
        await out(table(["TEAM", "FREEZE AFTER"], [[r.team, r.freezeAfter]]));
      }),
    );
  cmd
    .command("allow-path")
    .description("Let a team bind-mount a host path and what is under it (site admin)")
    .argument("<team>")
    .argument("<hostpath>", "absolute host path")
    .option("--read-only", "the team may only mount it read-only")
    .action(
      action("other", async (team: string, hostPath: string, opts: { readOnly?: boolean }) => {
        const { api, out } = await session();
        const r = await api.team.allowPath.mutate({ team, path: hostPath, readOnly: opts.readOnly ?? false });
        await out(`team ${r.team} may bind-mount ${r.path}${r.readOnly ? " (read-only)" : ""}\n`);
      }),
    );
  cmd
    .command("disallow-path")
    .description("Take back a team's host path grant (site admin)")
    .argument("<team>")
    .argument("<hostpath>")
    .action(
      action("other", async (team: string, hostPath: string) => {
        const { api, out } = await session();
        const r = await api.team.disallowPath.mutate({ team, path: hostPath });
        await out(`team ${r.team} may no longer bind-mount ${r.path}\n`);
      }),
    );
  cmd
    .command("paths")
    .description("List the host paths a team may bind-mount")
    .argument("<team>")
    .action(
      action("other", async (team: string) => {
        const { api, out, table } = await session();
        const rows = await api.team.paths.query({ team });
        await out(table(["TEAM", "PATH", "MODE"], rows.map((r) => [r.team, r.path, r.readOnly ? "ro" : "rw"])));
      }),
    );
  cmd
    .command("use")
    .description("Set the team commands act in on this server (stored like the login; --team and BERTH_TEAM win)")
    .argument("[name]", "the team; none: back to your personal team")
    .action(
      action("other", async (name: string | undefined) => {
        const { s, api, out } = await session();
        const { storeTeam } = await import("../credentials.js");
        if (!name) {
          storeTeam(s.url, undefined);
          return out("using your personal team\n");
        }
        // Checked first: a team you cannot act in is not stored.
        const t = await api.team.current.query({ team: name });
        storeTeam(s.url, t.name);
        await out(`using team ${t.name} (${t.role})\n`);
      }),
    );
  return cmd;
}


/** `berth audit`: the audit log of the current team (team admins) or of all (site admin). */
export function registerAudit(program: Command): Command {
  return program
    .command("audit")
    .description("Show the audit log (team admins: their team; the site admin: --all)")
    .option("--all", "every team's entries (site admin)")
    .option("--user <name>", "only this user's actions")
    .option("--since <time>", "only entries since this ISO 8601 time")
    .option("--json", "one JSON object per line")
    .action(
      action("other", async (opts: { all?: boolean; user?: string; since?: string; json?: boolean }) => {
        const { api, out, table } = await session();
        const rows = await api.audit.list.query({ all: !!opts.all, ...(opts.user ? { user: opts.user } : {}), ...(opts.since ? { since: new Date(opts.since).toISOString() } : {}) });
        if (opts.json) return out(rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
        await out(table(["TIME", "USER", "TEAM", "ACTION", "TARGET", "RESULT", "ADDRESS"], rows.map((r) => [r.time, r.actor, r.team ?? "-", r.action, r.target, r.result, r.address])));
      }),
    );
}
