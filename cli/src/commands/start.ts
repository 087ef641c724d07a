import type { Command } from "commander";
import { action } from "../action.js";

export interface StartArgs {
  containers: string[];
  attach: boolean;
}

/**
 * Starts each container (created, or exited: it runs again over its own upper dir). With -a (one
 * container, which has not run before): its output, then its exit code, as `run` does.
 */
export async function start(a: StartArgs): Promise<number> {
  if (a.attach) return startAttached(a.containers);
  const { eachContainer } = await import("../each-container.js");
  return eachContainer(a.containers, async (s, ref) => {
    await s.api.container.start.mutate({ id: ref });
    return ref;
  });
}

async function startAttached(containers: string[]): Promise<number> {
  const [{ connect, followLogs }, { LineWriter, write }, { CliError }] = await Promise.all([import("../client.js"), import("../output.js"), import("../errors.js")]);
  if (containers.length !== 1) throw new CliError("USAGE", "you cannot start and attach multiple containers at once");
  const s = connect();
  const c = await s.api.container.byId.query({ id: containers[0]! });
  // The log stream keeps every run's entries, each run ending with an exit entry: following it
  // from the start works only for a container that has not run yet.
  if (c.startedAt !== null || c.state !== "created") {
    throw new CliError("USAGE", `start -a of a container that has already run is not supported yet: use berth start ${containers[0]}, then berth logs -f`);
  }
  await s.api.container.start.mutate({ id: c.id });
  const out = new LineWriter();
  const exit = await followLogs(s, c.id, (e) => out.line(e.stream, e.line)).finally(() => out.flush());
  if (exit.error) await write(process.stderr, `berth: ${exit.error}\n`);
  return exit.exitCode ?? 1;
}

export function register(program: Command, handler: (a: StartArgs) => Promise<number | void> = start): Command {
  return program
    .command("start")
    .description("Start one or more stopped containers")
    .usage("[OPTIONS] CONTAINER [CONTAINER...]")
    .option("-a, --attach", "attach STDOUT/STDERR and return the container's exit code")
    .argument("<container...>", "container ids, id prefixes or names")
    .action(action("other", (containers: string[], opts: { attach?: boolean }) => handler({ containers, attach: !!opts.attach })));
}
