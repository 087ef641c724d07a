import type { Command } from "commander";
import { action } from "../action.js";

export interface TokenCreateArgs {
  readOnly: boolean;
}

/** Prints a new API token of the calling user. */
export async function tokenCreate(a: TokenCreateArgs): Promise<void> {
  const [{ connect }, { write }] = await Promise.all([import("../client.js"), import("../output.js")]);
  const t = await connect().api.token.create.mutate({ ...(a.readOnly ? { readOnly: true } : {}) });
  await write(process.stdout, `${t.token}\n`);
}

export function register(program: Command, handler: (a: TokenCreateArgs) => Promise<number | void> = tokenCreate): Command {
  const cmd = program.command("token").description("Manage API tokens").usage("COMMAND").helpCommand(false);
  cmd
    .command("create")
    .description("Create an API token and print it")
    .usage("[OPTIONS]")
    .option("--read-only", "the token may only read (pull), never change anything")
    .action(action("other", (opts: { readOnly?: boolean }) => handler({ readOnly: !!opts.readOnly })));
  return cmd;
}
