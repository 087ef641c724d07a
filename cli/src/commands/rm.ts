import type { Command } from "commander";
import { action } from "../action.js";

export interface RmArgs {
  containers: string[];
  force: boolean;
  /** -v: the containers' anonymous volumes too */
  volumes?: boolean;
}

/** Removes each container (its directory and record); -f kills a running one first. */
export async function rm(a: RmArgs): Promise<number> {
  const { eachContainer } = await import("../each-container.js");
  return eachContainer(a.containers, async (s, ref) => {
    await s.api.container.remove.mutate({ id: ref, force: a.force, volumes: !!a.volumes });
    return ref;
  });
}

export function register(program: Command, handler: (a: RmArgs) => Promise<number | void> = rm): Command {
  return program
    .command("rm")
    .description("Remove one or more containers")
    .usage("[OPTIONS] CONTAINER [CONTAINER...]")
    .option("-f, --force", "force the removal of a running container (uses SIGKILL)")
    .option("-v, --volumes", "remove the anonymous volumes associated with the container")
    .argument("<container...>", "container ids, id prefixes or names")
    .action(action("other", (containers: string[], opts: { force?: boolean; volumes?: boolean }) => handler({ containers, force: !!opts.force, volumes: !!opts.volumes })));
}
