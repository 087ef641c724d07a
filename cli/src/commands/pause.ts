import type { Command } from "commander";
import { action } from "../action.js";

export interface PauseArgs {
  containers: string[];
  paused: boolean;
}

/** `pause` / `unpause`: freezes or thaws every process of each container; prints each as given. */
export async function pause(a: PauseArgs): Promise<number> {
  const { eachContainer } = await import("../each-container.js");
  return eachContainer(a.containers, async (s, ref) => {
    await (a.paused ? s.api.container.pause : s.api.container.unpause).mutate({ id: ref });
    return ref;
  });
}

export function register(program: Command, handler: (a: PauseArgs) => Promise<number | void> = pause): void {
  program
    .command("pause")
    .description("Pause all processes within one or more containers")
    .usage("CONTAINER [CONTAINER...]")
    .argument("<container...>", "container ids, id prefixes or names")
    .action(action("other", (containers: string[]) => handler({ containers, paused: true })));
  program
    .command("unpause")
    .description("Unpause all processes within one or more containers")
    .usage("CONTAINER [CONTAINER...]")
    .argument("<container...>", "container ids, id prefixes or names")
    .action(action("other", (containers: string[]) => handler({ containers, paused: false })));
}
