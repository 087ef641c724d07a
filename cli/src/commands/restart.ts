import type { Command } from "commander";
import { action } from "../action.js";
import { timeOption } from "./stop.js";

export interface RestartArgs {
  containers: string[];
  timeoutSec: number | undefined;
}

/** stop (SIGTERM, SIGKILL after -t) then start, for each container. */
export async function restart(a: RestartArgs): Promise<number> {
  const { eachContainer } = await import("../each-container.js");
  return eachContainer(a.containers, async (s, ref) => {
    await s.api.container.restart.mutate({ id: ref, ...(a.timeoutSec !== undefined ? { timeoutSec: a.timeoutSec } : {}) });
    return ref;
  });
}

export function register(program: Command, handler: (a: RestartArgs) => Promise<number | void> = restart): Command {
  return program
    .command("restart")
    .description("Restart one or more containers")
    .usage("[OPTIONS] CONTAINER [CONTAINER...]")
    .option("-t, --time <seconds>", "seconds to wait before killing the container (default 10)")
    .argument("<container...>", "container ids, id prefixes or names")
    .action(
      action("other", async (containers: string[], opts: { time?: string }) => handler({ containers, timeoutSec: await timeOption(opts.time) })),
    );
}
