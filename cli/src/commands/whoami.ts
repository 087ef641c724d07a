import type { Command } from "commander";
import { action } from "../action.js";

export async function whoami(): Promise<void> {
  const [{ connect }, { write }] = await Promise.all([import("../client.js"), import("../output.js")]);
  const me = await connect().api.auth.whoami.query();
  await write(process.stdout, `${me.name}\n`);
}

export function register(program: Command, handler: () => Promise<number | void> = whoami): Command {
  return program
    .command("whoami")
    .description("Print the user the CLI's credentials belong to")
    .usage("")
    .action(action("other", () => handler()));
}
