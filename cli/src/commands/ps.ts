import type { Command } from "commander";
import { action } from "../action.js";

export interface PsArgs {
  all: boolean;
  quiet: boolean;
}

export async function ps(a: PsArgs): Promise<void> {
  const [{ connect }, { psTable, idList }, { write }] = await Promise.all([
    import("../client.js"),
    import("../format.js"),
    import("../output.js"),
  ]);
  const containers = await connect().api.container.list.query({ all: a.all });
  await write(process.stdout, a.quiet ? idList(containers) : psTable(containers, Date.now()));
}

export function register(program: Command, handler: (a: PsArgs) => Promise<number | void> = ps): Command {
  return program
    .command("ps")
    .description("List containers")
    .usage("[OPTIONS]")
    .option("-a, --all", "show all containers (default shows just running)")
    .option("-q, --quiet", "only display container IDs")
    .action(action("other", (opts: { all?: boolean; quiet?: boolean }) => handler({ all: !!opts.all, quiet: !!opts.quiet })));
}
