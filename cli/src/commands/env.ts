import type { Command } from "commander";
import { action } from "../action.js";

async function session() {
  const [{ connect }, { write }, { table, ago }, { CliError }] = await Promise.all([import("../client.js"), import("../output.js"), import("../format.js"), import("../errors.js")]);
  const s = connect();
  return { api: s.api, out: (text: string) => write(process.stdout, text), err: (text: string) => write(process.stderr, text), table, ago, CliError };
}

interface SettingsOpts {
  branch?: string | boolean;
  position?: string;
  replicas?: string;
  cpus?: string;
  memory?: string;
  watch?: string;
  domains?: string;
}

const whole = (flag: string, v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`${flag} wants a whole number, not "${v}"`);
  return n;
};

/** Flags to settings: `--no-branch` is null (promotion only), `--cpus 0`/`--memory 0` clear a limit. */
async function settings(o: SettingsOpts) {
  const { parseBytes } = await import("@berth/core");
  return {
    ...(o.branch === false ? { branch: null } : typeof o.branch === "string" ? { branch: o.branch } : {}),
    ...(o.position !== undefined ? { position: whole("--position", o.position) } : {}),
    ...(o.replicas !== undefined ? { replicas: whole("--replicas", o.replicas) } : {}),
    ...(o.cpus !== undefined ? { cpus: Number(o.cpus) === 0 ? null : Number(o.cpus) } : {}),
    ...(o.memory !== undefined ? { memoryBytes: o.memory === "0" ? null : parseBytes(o.memory) } : {}),
    ...(o.watch !== undefined ? { watchSeconds: whole("--watch", o.watch) } : {}),
    ...(o.domains !== undefined ? { domains: o.domains.split(",").map((d) => d.trim()).filter(Boolean) } : {}),
  };
}

function settingsOptions(c: Command): Command {
  return c
    .option("--branch <branch>", "deploy here on each push to this branch")
    .option("--no-branch", "follow no branch: deployed by promotion and rollback only")
    .option("--position <n>", "place in the pipeline (lower comes first; previews come before 1)")
    .option("--replicas <n>", "replicas of the web service")
    .option("--cpus <n>", "CPU limit of each replica (0: none)")
    .option("--memory <bytes>", "memory limit of each replica, e.g. 512m (0: none)")
    .option("--watch <seconds>", "after a deploy, a failing health check within this window rolls back by itself")
    .option("--domains <hosts>", 'host names it also answers to, comma-separated (app.example.com,www.example.com; "" for none)');
}


interface RegistryOpts {
  registry?: string;
  registryUser?: string;
  registryPasswordStdin?: boolean;
  /** false with --no-check */
  check?: boolean;
}

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "";
}

/** `--registry` and its credentials as the API takes them (none when no registry flag is given). */
async function registryInput(o: RegistryOpts, CliError: new (kind: "USAGE", message: string) => Error) {
  if (o.registry === undefined) {
    if (o.registryUser !== undefined || o.registryPasswordStdin || o.check === false) throw new CliError("USAGE", "--registry-user, --registry-password-stdin and --no-check go with --registry HOST/REPO");
    return undefined;
  }
  if (o.registry === "none") {
    if (o.registryUser !== undefined || o.registryPasswordStdin) throw new CliError("USAGE", "--registry none takes no credentials: it removes them");
    return { repository: null };
  }
  if ((o.registryUser === undefined) !== !o.registryPasswordStdin) throw new CliError("USAGE", "give both --registry-user USER and --registry-password-stdin (the password on stdin), or neither");
  if (o.registryUser === undefined) {
    if (o.check === false) throw new CliError("USAGE", "--no-check goes with --registry-user and --registry-password-stdin: it stores the credentials untried");
    return { repository: o.registry };
  }
  const password = await readStdinLine();
  if (!password) throw new CliError("USAGE", "--registry-password-stdin: stdin gave no password");
  return { repository: o.registry, credentials: { username: o.registryUser, password }, check: o.check !== false };
}

/**
 * `berth env …`: a project's environments (staging follows the default branch, production is
 * deployed by promotion), each with its own config; `berth env config` reads and changes it.
 */
export function register(program: Command): Command {
  const cmd = program.command("env").description("Manage a project's environments (staging, production…) and their config").usage("COMMAND").helpCommand(false);

  cmd
    .command("ls")
    .alias("list")
    .description("List a project's environments in pipeline order: branch followed, live release, URL")
    .argument("<project>")
    .option("--format <format>", "json: one JSON array")
    .action(
      action("other", async (project: string, opts: { format?: string }) => {
        const { api, out, table, ago } = await session();
        const rows = await api.environments.list.query({ project });
        if (opts.format === "json") return void (await out(`${JSON.stringify(rows)}\n`));
        const now = Date.now();
        await out(
          table(
            ["NAME", "FOLLOWS", "RELEASE", "STATE", "REPLICAS", "URL", "DEPLOYED"],
            rows.map((e) => [
              e.name,
              e.branch ?? "(promotion)",
              e.live ? `v${e.live.number}` : "-",
              e.last && e.last.number !== e.live?.number ? `v${e.last.number} ${e.last.state}` : e.live ? "live" : "-",
              e.registry ? "-" : String(e.replicas),
              // An environment with a registry runs elsewhere: its releases are copied there, not served here.
              e.registry ? `runs elsewhere: copied to ${e.registry.repository}${e.registry.credentials ? "" : " (no credentials)"}` : [e.url, ...e.domains.map((d) => `https://${d}/`)].join(" "),
              e.live?.deployedAt ? ago(e.live.deployedAt, now) : "-",
            ]),
          ),
        );
      }),
    );

  settingsOptions(
    cmd
      .command("create")
      .description("Add an environment to a project (after the last one, unless --position says where)")
      .argument("<project>")
      .argument("<env>", "its name: lowercase letters, digits and single dashes"),
  ).action(
    action("other", async (project: string, env: string, opts: SettingsOpts) => {
      const { api, out } = await session();
      const e = await api.environments.create.mutate({ project, env, ...(await settings(opts)) });
      await out(`${e.name} ${e.url}\n`);
    }),
  );

  settingsOptions(
    cmd
      .command("set")
      .description("Change an environment: the branch it follows, its place, replicas, limits, watch window, the registry it runs from")
      .argument("<project>")
      .argument("<env>"),
  )
    .option("--registry <repository>", 'copy its releases to this registry repository (HOST[:PORT]/REPO, each service to REPO/<service>) instead of running them here; "none": run here again')
    .option("--registry-user <user>", "the user to push to --registry as")
    .option("--registry-password-stdin", "the password or token for --registry-user, from the first line of stdin (stored sealed, never shown)")
    .option("--no-check", "store the registry credentials without trying them first (by default the registry must accept them, or nothing is stored)")
    .action(
      action("other", async (project: string, env: string, opts: SettingsOpts & RegistryOpts) => {
        const { api, out, err, CliError } = await session();
        const s = await settings(opts);
        const registry = await registryInput(opts, CliError);
        if (!registry && !Object.keys(s).length) throw new CliError("USAGE", "nothing to change: give a setting (see berth env set --help)");
        let e;
        if (registry) {
          const r = await api.environments.setRegistry.mutate({ project, env, ...registry });
          for (const l of r.lines) await err(`${l}\n`);
          e = r.environment;
        }
        if (Object.keys(s).length) e = await api.environments.update.mutate({ project, env, ...s });
        await out(`${e!.name}: follows ${e!.branch ?? "no branch"}, position ${e!.position}, ${e!.registry ? `runs elsewhere: copied to ${e!.registry.repository}` : `${e!.replicas} replica${e!.replicas === 1 ? "" : "s"}`}\n`);
      }),
    );

  cmd
    .command("rm")
    .alias("remove")
    .description("Remove an environment with its config, releases and running release")
    .argument("<project>")
    .argument("<env>")
    .option("-f, --force", "also when it serves a release (its site goes down)")
    .action(
      action("other", async (project: string, env: string, opts: { force?: boolean }) => {
        const { api, out, err } = await session();
        const r = await api.environments.remove.mutate({ project, env, force: !!opts.force });
        for (const l of r.lines) await err(`${l}\n`);
        await out(`${r.removed}\n`);
      }),
    );

  cmd
    .command("requests")
    .description("Show the requests the edge served for an environment (its URL and domains), oldest first")
    .argument("<project>")
    .argument("<env>")
    .option("-n, --tail <n>", "the newest N requests", "50")
    .option("--format <format>", "json: one JSON array")
    .action(
      action("other", async (project: string, env: string, opts: { tail: string; format?: string }) => {
        const { api, out, CliError } = await session();
        const limit = Number(opts.tail);
        if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new CliError("FLAG", `--tail ${opts.tail}: a whole number from 1 to 10000`);
        const rows = await api.environments.requests.query({ project, env, limit });
        if (opts.format === "json") return void (await out(`${JSON.stringify(rows)}\n`));
        // One line per request, as an access log reads: time, client, method, host+path, status, bytes, duration.
        await out(rows.map((r) => `${r.at} ${r.ip} ${r.method} ${r.host}${r.path} HTTP/${r.http}${r.tls ? " tls" : ""} ${r.status} ${r.bytes} ${r.ms.toFixed(1)}ms\n`).join(""));
      }),
    );

  cmd
    .command("config")
    .description("Show an environment's config, or get, set or unset variables (secrets are always shown masked)")
    .argument("<project>")
    .argument("<env>")
    .argument("[action]", "get KEY | set KEY=VALUE... | unset KEY...")
    .argument("[args...]")
    .option("--secret", "set: the values are secrets (shown masked from now on)")
    .option("--no-deploy", "set/unset: only store the change (the next release uses it), to batch several; by default a live environment gets a new release with it at once")
    .option("--deploy", "(the default; kept for scripts)")
    .option("--format <format>", "json: the variables as a JSON array")
    .action(
      action("other", async (project: string, env: string, verb: string | undefined, args: string[], opts: { secret?: boolean; deploy?: boolean; format?: string }) => {
        const { api, out, err, table, ago, CliError } = await session();
        if (!verb || verb === "ls" || verb === "get") {
          const rows = await api.environments.config.query({ project, env });
          if (verb === "get") {
            if (args.length !== 1) throw new CliError("USAGE", "get takes one KEY");
            const row = rows.find((r) => r.key === args[0]);
            if (!row) throw new CliError("NOT_FOUND", `${project} ${env} has no variable ${args[0]}`);
            return void (await out(`${row.value}\n`));
          }
          if (opts.format === "json") return void (await out(`${JSON.stringify(rows)}\n`));
          const now = Date.now();
          return void (await out(table(["KEY", "VALUE", "SECRET", "UPDATED", "BY"], rows.map((r) => [r.key, r.value, r.secret ? "yes" : "no", ago(r.updatedAt, now), r.updatedBy ?? "-"]))));
        }
        let r;
        if (verb === "set") {
          if (!args.length) throw new CliError("USAGE", "set takes KEY=VALUE pairs");
          const values: Record<string, string> = {};
          for (const a of args) {
            const eq = a.indexOf("=");
            if (eq <= 0) throw new CliError("USAGE", `"${a}" is not KEY=VALUE`);
            values[a.slice(0, eq)] = a.slice(eq + 1);
          }
          r = await api.environments.setConfig.mutate({ project, env, values, secret: !!opts.secret, deploy: opts.deploy !== false });
        } else if (verb === "unset") {
          if (!args.length) throw new CliError("USAGE", "unset takes the keys to remove");
          r = await api.environments.unsetConfig.mutate({ project, env, keys: args, deploy: opts.deploy !== false });
        } else throw new CliError("USAGE", `unknown config action "${verb}": use get, set or unset`);
        const why = r.deployed ? "" : r.held ? ": stored (--no-deploy): the next release uses it" : `: stored: nothing is deployed in ${env} yet, its first release uses it`;
        await err(`${project} ${env}: config version ${r.configVersion} (${r.keys.join(", ")})${why}\n`);
        if (r.deployed) {
          for (const l of r.deployed.lines) await err(`${l}\n`);
          if (!r.deployed.ok) return 1;
          // The new release, and where it serves (or where it was copied), on stdout.
          const where = r.deployed.url ?? Object.values(r.deployed.copiedTo ?? {}).join(" ");
          await out(`release v${r.deployed.number} is live${where ? `: ${where}` : ""}\n`);
        }
      }),
    );
  return cmd;
}
