import type { Command } from "commander";
import { action } from "../action.js";

export interface KillArgs {
  containers: string[];
  /** As typed: KILL, SIGTERM, hup, 9 (the server parses it). */
  signal: string;
}

export async function kill(a: KillArgs): Promise<number> {
  const { eachContainer } = await import("../each-container.js");
  return eachContainer(a.containers, async (s, ref) => {
    await s.api.container.kill.mutate({ id: ref, signal: a.signal });
    return ref;
  });
}

export function register(program: Command, handler: (a: KillArgs) => Promise<number | void> = kill): Command {
  return program
    .command("kill")
    .description("Kill one or more running containers")
    .usage("[OPTIONS] CONTAINER [CONTAINER...]")
    .option("-s, --signal <signal>", "signal to send (name such as KILL, SIGTERM, HUP, or number)", "KILL")
    .argument("<container...>", "container ids, id prefixes or names")
    .action(action("other", (containers: string[], opts: { signal: string }) => handler({ containers, signal: opts.signal })));
}
