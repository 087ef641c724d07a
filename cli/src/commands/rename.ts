import type { Command } from "commander";
import { action } from "../action.js";

export interface RenameArgs {
  container: string;
  name: string;
}

export async function rename(a: RenameArgs): Promise<void> {
  const { connect } = await import("../client.js");
  await connect().api.container.rename.mutate({ id: a.container, name: a.name });
}

export function register(program: Command, handler: (a: RenameArgs) => Promise<number | void> = rename): Command {
  return program
    .command("rename")
    .description("Rename a container")
    .usage("CONTAINER NEW_NAME")
    .argument("<container>", "container id, id prefix or name")
    .argument("<new-name>", "the new name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)")
    .action(action("other", (container: string, name: string) => handler({ container, name })));
}
