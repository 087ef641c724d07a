import type { Command } from "commander";
import { action } from "../action.js";

export interface ExecArgs {
  container: string;
  cmd: string[];
  interactive: boolean;
  tty: boolean;
  user: string | undefined;
  workdir: string | undefined;
  env: string[];
  /** Join this shared terminal session (the dashboard's) instead of starting a command. */
  session?: string | undefined;
}

/** `berth exec`: a command in a running container; exits with its exit code (126/127 when it cannot start). */
export async function exec(a: ExecArgs): Promise<number> {
  const [{ connect }, { runTerminal }, { write }, { CliError }] = await Promise.all([
    import("../client.js"),
    import("../terminal.js"),
    import("../output.js"),
    import("../errors.js"),
  ]);
  if (a.session !== undefined) {
    if (a.cmd.length) throw new CliError("USAGE", '"berth exec --session ID CONTAINER" joins the session\'s own shell: leave out the command');
    const { attachSession } = await import("./terminal.js");
    return attachSession(a.session, { container: a.container, interactive: a.interactive, tty: a.tty });
  }
  if (a.cmd.length === 0) throw new CliError("USAGE", '"berth exec" requires at least 2 arguments: CONTAINER COMMAND [ARG...]');
  // `-e KEY` takes KEY's value from this environment, as docker does.
  const env = a.env.map((e) => (e.includes("=") ? e : `${e}=${process.env[e] ?? ""}`));
  const s = connect();
  const r = await runTerminal(s, {
    event: "exec:start",
    tty: a.tty,
    interactive: a.interactive,
    payload: {
      containerId: a.container,
      cmd: a.cmd,
      ...(a.user !== undefined ? { user: a.user } : {}),
      ...(a.workdir !== undefined ? { workdir: a.workdir } : {}),
      ...(env.length ? { env } : {}),
    },
  });
  if (r.error) await write(process.stderr, `berth: ${r.error}\n`);
  return r.exitCode ?? 126;
}

export function register(program: Command, handler: (a: ExecArgs) => Promise<number | void> = exec): Command {
  return program
    .command("exec")
    .description("Execute a command in a running container")
    .usage("[OPTIONS] CONTAINER COMMAND [ARG...]")
    .option("-i, --interactive", "keep STDIN open and send it to the command")
    .option("-t, --tty", "allocate a pseudo-TTY")
    .option("-u, --user <user>", "username or UID (format: <name|uid>[:<group|gid>])")
    .option("-w, --workdir <dir>", "working directory inside the container")
    .option("-e, --env <KEY=VALUE>", "set an environment variable (repeatable)", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option("--session <id>", "join this shared terminal session of the container (see berth terminal ls) instead of running a command")
    .argument("<container>", "container name, id or id prefix")
    .argument("[command...]", "command and arguments to run")
    .passThroughOptions()
    .action(
      action("other", (container: string, cmd: string[], o: { interactive?: boolean; tty?: boolean; user?: string; workdir?: string; env: string[]; session?: string }) =>
        handler({ container, cmd, interactive: !!o.interactive, tty: !!o.tty, user: o.user, workdir: o.workdir, env: o.env, session: o.session }),
      ),
    );
}
