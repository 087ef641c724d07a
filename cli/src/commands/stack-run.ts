import type { Command } from "commander";
import type { ComposeProject } from "@berth/core/compose";
import { action } from "../action.js";
import { F_FLAG, F_HELP, P_FLAG, P_HELP, collect } from "./stack-flags.js";
import type { StackContext, SubFlags } from "./stack-ops.js";

interface Row {
  id: string;
  name: string;
  service: string;
  number: number;
  state: string;
}

/** The stack's containers of these services (all when none is named); an unknown service is an error. */
async function containersOf(name: string, services: string[]): Promise<{ rows: Row[]; project: ComposeProject }> {
  const [{ connect }, { CliError }] = await Promise.all([import("../client.js"), import("../errors.js")]);
  const s = connect();
  const [rows, project] = await Promise.all([s.api.stack.ps.query({ name }) as Promise<Row[]>, s.api.stack.config.query({ name })]);
  for (const svc of services) if (!project.services[svc]) throw new CliError("NOT_FOUND", `no such service: ${svc} (stack ${name} has ${Object.keys(project.services).join(", ")})`);
  // Dependencies first, as Compose starts them; stop goes the other way.
  const ranked = dependencyOrder(project);
  const picked = rows.filter((r) => !services.length || services.includes(r.service));
  picked.sort((a, b) => ranked.indexOf(a.service) - ranked.indexOf(b.service) || a.number - b.number);
  return { rows: picked, project };
}

/** Services with every dependency before its dependents. */
function dependencyOrder(project: ComposeProject): string[] {
  const out: string[] = [];
  const visit = (svc: string, path: string[]) => {
    if (out.includes(svc) || path.includes(svc) || !project.services[svc]) return;
    for (const dep of Object.keys(project.services[svc]!.dependsOn)) visit(dep, [...path, svc]);
    out.push(svc);
  };
  for (const svc of Object.keys(project.services).sort()) visit(svc, []);
  return out;
}

type Verb = "stop" | "start" | "restart";
const WORDS: Record<Verb, [string, string]> = { stop: ["Stopping", "Stopped"], start: ["Starting", "Started"], restart: ["Restarting", "Started"] };

/** `stack exec`, `stack stop|start|restart`: the stack's containers by service, through the container commands' procedures. */
export function registerStackRun(stack: Command, ctx: StackContext): void {
  stack
    .command("exec")
    .description("Execute a command in a running service's container")
    .usage("[OPTIONS] SERVICE COMMAND [ARG...]")
    .option(P_FLAG, P_HELP)
    .option(F_FLAG, F_HELP, collect, [] as string[])
    .option("--index <n>", "which of the service's containers (replicas), from 1", "1")
    .option("-T, --no-tty", "do not allocate a pseudo-TTY (the default when stdin is one)")
    .option("-u, --user <user>", "username or UID (format: <name|uid>[:<group|gid>])")
    .option("-w, --workdir <dir>", "working directory inside the container")
    .option("-e, --env <KEY=VALUE>", "set an environment variable (repeatable)", collect, [] as string[])
    .argument("<service>", "the service")
    .argument("[command...]", "command and arguments to run")
    .passThroughOptions()
    .action(
      action("other", async (service: string, cmd: string[], opts: SubFlags & { index: string; tty: boolean; user?: string; workdir?: string; env: string[] }) => {
        const { CliError } = await import("../errors.js");
        const index = Number(opts.index);
        if (!Number.isInteger(index) || index < 1) throw new CliError("USAGE", `--index ${opts.index}: give a replica number from 1`);
        const name = await ctx.name(opts);
        const { rows } = await containersOf(name, [service]);
        const c = rows.find((r) => r.number === index);
        if (!c) throw new CliError("NOT_FOUND", `service "${service}" of stack ${name} has no container number ${index}${rows.length ? ` (it has ${rows.map((r) => r.number).join(", ")})` : ": is the stack up?"}`);
        // A frozen stack's container runs: the server thaws the stack before the exec joins it.
        if (c.state !== "running" && c.state !== "frozen") throw new CliError("PRECONDITION_FAILED", `container ${c.name} is not running (${c.state}): start it with \`berth stack start -p ${name} ${service}\``);
        const { exec } = await import("./exec.js");
        // Compose's exec: stdin always goes to the command; a terminal only when stdin is one (-T: never).
        return exec({ container: c.id, cmd, interactive: true, tty: opts.tty && !!process.stdin.isTTY, user: opts.user, workdir: opts.workdir, env: opts.env });
      }),
    );

  for (const verb of ["stop", "start", "restart"] as const) {
    const cmd = stack
      .command(verb)
      .description(`${verb[0]!.toUpperCase()}${verb.slice(1)} the stack's services (all, or those named)`)
      .usage("[OPTIONS] [SERVICE...]")
      .option(P_FLAG, P_HELP)
      .option(F_FLAG, F_HELP, collect, [] as string[]);
    if (verb !== "start") cmd.option("-t, --timeout <seconds>", "seconds to wait for a container to stop before killing it");
    cmd.argument("[services...]", "only these services").action(
      action("other", async (services: string[], opts: SubFlags & { timeout?: string }) => {
        const [{ connect }, { write }, { timeOption }] = await Promise.all([import("../client.js"), import("../output.js"), import("./stop.js")]);
        const timeoutSec = await timeOption(opts.timeout);
        const name = await ctx.name(opts);
        const { rows } = await containersOf(name, services);
        if (verb === "stop") rows.reverse();
        const s = connect();
        const [doing, done] = WORDS[verb];
        for (const r of rows) {
          await write(process.stderr, ` Container ${r.name}  ${doing}\n`);
          const t = timeoutSec !== undefined ? { timeoutSec } : {};
          if (verb === "stop") await s.api.container.stop.mutate({ id: r.id, ...t });
          else if (verb === "start") await s.api.container.start.mutate({ id: r.id });
          else await s.api.container.restart.mutate({ id: r.id, ...t });
          await write(process.stderr, ` Container ${r.name}  ${done}\n`);
        }
      }),
    );
  }
}
