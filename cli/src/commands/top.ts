import type { Command } from "commander";
import { action } from "../action.js";

export interface TopArgs {
  container: string;
  /** Options for ps (default: docker's -ef columns). */
  psArgs: string[];
}

/** `top CONTAINER [ps OPTIONS]`: the container's processes, in docker's table. */
export async function top(a: TopArgs): Promise<void> {
  const [{ connect }, { table }, { write }] = await Promise.all([import("../client.js"), import("../format.js"), import("../output.js")]);
  const r = await connect().api.container.top.query({ id: a.container, psArgs: a.psArgs });
  await write(process.stdout, table(r.titles, r.processes));
}

export function register(program: Command, handler: (a: TopArgs) => Promise<number | void> = top): Command {
  return program
    .command("top")
    .description("Display the running processes of a container")
    .usage("CONTAINER [ps OPTIONS]")
    .argument("<container>", "container name, id or id prefix")
    .argument("[psOptions...]", "options for ps (e.g. aux)")
    .passThroughOptions()
    .allowUnknownOption()
    .action(action("other", (container: string, psArgs: string[]) => handler({ container, psArgs })));
}
