import type { Command } from "commander";
import type { ComposeProject } from "@berth/core/compose";
import type { DevcontainerPlan } from "@berth/core/devcontainer";
import type { StackPsRow } from "../api.js";
import { action } from "../action.js";
import { F_FLAG, F_HELP, P_FLAG, P_HELP, collect } from "./stack-flags.js";
import { registerStackRun } from "./stack-run.js";
import { registerStackLinks } from "./stack-links.js";
import { eventLines, type StackEvent } from "./stack-up.js";

/** -p and -f given after the subcommand; they add to (-f) or override (-p) those before it. */
export interface SubFlags {
  projectName?: string;
  file?: string[];
}

/** The flags every `stack` command shares, and how a command reads its project or its name. */
export interface StackContext {
  /** The project from the compose file(s), as `config` prints it. */
  load(services: string[], over?: SubFlags): Promise<ComposeProject>;
  /** The stack's name: -p, COMPOSE_PROJECT_NAME, else the file's (or its directory's) name. */
  name(over?: SubFlags): Promise<string>;
  /** The folder's devcontainer.json as a stack, when there is no compose file here (`bind`: the folder bind-mounted as the workspace). */
  dev(over: SubFlags, bind: boolean): Promise<DevcontainerPlan | undefined>;
}


async function deps() {
  const [{ connect }, { write }, { CliError }] = await Promise.all([import("../client.js"), import("../output.js"), import("../errors.js")]);
  return { s: connect(), write, CliError };
}


function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join("").trimEnd() + "\n").join("");
}

function status(r: StackPsRow): string {
  if (r.state === "exited") return `exited (${r.exitCode ?? "?"})`;
  return r.health ? `${r.state} (${r.health})` : r.state;
}

/**
 * Each container's output, each line prefixed with `<service>-<n> | ` as Compose does; with
 * follow, until every container's current run ends (or Ctrl-C).
 */
async function prefixedLogs(rows: StackPsRow[], follow: boolean): Promise<void> {
  const { s, write } = await deps();
  const { followLogs } = await import("../client.js");
  const width = Math.max(0, ...rows.map((r) => `${r.service}-${r.number}`.length));
  const prefix = (r: StackPsRow) => `${r.service}-${r.number}`.padEnd(width) + "  | ";
  const out = (r: StackPsRow, stream: string, line: string) => void write(stream === "stderr" ? process.stderr : process.stdout, `${prefix(r)}${line.replace(/\n$/, "")}\n`);
  if (follow) {
    await Promise.all(rows.map((r) => followLogs(s, r.id, (e) => out(r, e.stream, e.line)).catch(() => undefined)));
    return;
  }
  for (const r of rows) {
    const { entries } = await s.api.container.logs.query({ id: r.id });
    for (const e of entries) if (e.stream !== "exit") out(r, e.stream, e.line);
  }
}


export function registerStackOps(stack: Command, ctx: StackContext): void {
  stack
    .command("up")
    .option(P_FLAG, P_HELP)
    .option(F_FLAG, F_HELP, collect, [] as string[])
    .description("Create and start the stack's services on the server (only what changed is recreated)")
    .usage("[OPTIONS] [SERVICE...]")
    .option("-d, --detach", "return once the services run, without following their logs")
    .option("--build", "build the images of services with build: even when the team already has them")
    .argument("[services...]", "only these services (and what they depend on)")
    .action(
      action("other", async (services: string[], opts: { detach?: boolean; build?: boolean; projectName?: string; file: string[] }) => {
        const dev = await ctx.dev(opts, true);
        const project = dev?.project ?? (await ctx.load(services, opts));
        for (const w of project.warnings) process.stderr.write(`warning: ${w.where}: ${w.message}\n`);
        const { upAndFollow } = await import("./stack-up.js");
        const up = await upAndFollow(project, services, { build: !!opts.build, dev });
        if (up.dev) await (await import("./stack-dev.js")).afterDevUp(up.dev, up.events);
        const { s } = await deps();
        if (opts.detach) return;
        // Attached: follow every service's output (Ctrl-C leaves the stack running; `stack down` ends it).
        const rows = (await s.api.stack.ps.query({ name: project.name })) ;
        await prefixedLogs(services.length ? rows.filter((x) => services.includes(x.service)) : rows, true);
      }),
    );

  stack
    .command("down")
    .option(P_FLAG, P_HELP)
    .option(F_FLAG, F_HELP, collect, [] as string[])
    .description("Stop and remove the stack's containers and networks (and with -v its volumes)")
    .option("-v, --volumes", "also remove the stack's named volumes and its containers' anonymous volumes")
    .action(
      action("other", async (opts: { volumes?: boolean; projectName?: string; file: string[] }) => {
        const name = await ctx.name(opts);
        const { s, write } = await deps();
        const events = (await s.api.stack.down.mutate({ name, volumes: !!opts.volumes })) as StackEvent[];
        await write(process.stderr, eventLines(events));
      }),
    );

  stack
    .command("rm")
    .option(P_FLAG, P_HELP)
    .description("Forget the stack on the server (refused while it has containers, unless -f)")
    .option("-f, --force", "take the stack down first")
    .option("-v, --volumes", "also remove its volumes")
    .action(
      action("other", async (opts: { force?: boolean; volumes?: boolean; projectName?: string }) => {
        const name = await ctx.name(opts);
        const { s, write } = await deps();
        const events = (await s.api.stack.remove.mutate({ name, force: !!opts.force, volumes: !!opts.volumes })) as StackEvent[];
        await write(process.stderr, eventLines(events));
        await write(process.stdout, `${name}\n`);
      }),
    );

  stack
    .command("ps")
    .option(P_FLAG, P_HELP)
    .option(F_FLAG, F_HELP, collect, [] as string[])
    .description("List the stack's containers")
    .option("-q, --quiet", "only display container ids")
    .option("--format <format>", "table or json", "table")
    .option("-a, --all", "accepted for Compose's sake: stopped containers are always shown")
    .argument("[services...]", "only these services")
    .action(
      action("other", async (services: string[], opts: { quiet?: boolean; format: string; projectName?: string; file: string[] }) => {
        const name = await ctx.name(opts);
        const { s, write } = await deps();
        let rows = (await s.api.stack.ps.query({ name })) ;
        if (services.length) rows = rows.filter((r) => services.includes(r.service));
        if (opts.quiet) return write(process.stdout, rows.map((r) => `${r.id}\n`).join(""));
        if (opts.format === "json") return write(process.stdout, `${JSON.stringify(rows)}\n`);
        const ports = (r: StackPsRow) => r.ports.map((p) => `${p.hostIp ?? "0.0.0.0"}:${p.hostPort}->${p.containerPort}/${p.protocol}`).join(", ");
        await write(process.stdout, table([["NAME", "IMAGE", "SERVICE", "STATUS", "PORTS"], ...rows.map((r) => [r.name, r.image, r.service, status(r), ports(r)])]));
      }),
    );

  stack
    .command("ls")
    .alias("list")
    .description("List the team's stacks")
    .option("-q, --quiet", "only display names")
    .option("--format <format>", "table or json", "table")
    .action(
      action("other", async (opts: { quiet?: boolean; format: string }) => {
        const { s, write } = await deps();
        const rows = await s.api.stack.list.query();
        if (opts.quiet) return write(process.stdout, rows.map((r) => `${r.name}\n`).join(""));
        if (opts.format === "json") return write(process.stdout, `${JSON.stringify(rows)}\n`);
        await write(process.stdout, table([["NAME", "STATUS", "WORKING DIR"], ...rows.map((r) => [r.name, r.status, r.workingDir])]));
      }),
    );

  stack
    .command("logs")
    .option(P_FLAG, P_HELP)
    .description("Show the output of the stack's services, each line prefixed with its container")
    .option("-f, --follow", "follow the output")
    .argument("[services...]", "only these services")
    .action(
      action("other", async (services: string[], opts: { follow?: boolean; projectName?: string }) => {
        const name = await ctx.name(opts);
        const { s } = await deps();
        const rows = (await s.api.stack.ps.query({ name })) ;
        await prefixedLogs(services.length ? rows.filter((r) => services.includes(r.service)) : rows, !!opts.follow);
      }),
    );
  registerStackRun(stack, ctx);
  registerStackLinks(stack, ctx);
}
