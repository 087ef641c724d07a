import type { Command } from "commander";
import { action } from "../action.js";

export interface WaitArgs {
  containers: string[];
}

/** Blocks until each container stops, then prints its exit code. */
export async function wait(a: WaitArgs): Promise<number> {
  const { eachContainer } = await import("../each-container.js");
  return eachContainer(a.containers, async (s, ref) => {
    // The server answers within ~20 s, done or not; ask again until it is.
    for (;;) {
      const r = await s.api.container.wait.query({ id: ref });
      if (r.done) return String(r.exitCode ?? 0);
    }
  });
}

export function register(program: Command, handler: (a: WaitArgs) => Promise<number | void> = wait): Command {
  return program
    .command("wait")
    .description("Block until one or more containers stop, then print their exit codes")
    .usage("CONTAINER [CONTAINER...]")
    .argument("<container...>", "container ids, id prefixes or names")
    .action(action("other", (containers: string[]) => handler({ containers })));
}
