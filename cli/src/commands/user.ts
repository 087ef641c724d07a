import type { Command } from "commander";
import { action } from "../action.js";

export interface UserCreateArgs {
  name: string;
  admin: boolean;
}

/** Admin only. Prints the new user's first API token (their password for `berth login`, skopeo, docker). */
export async function userCreate(a: UserCreateArgs): Promise<void> {
  const [{ connect }, { write }] = await Promise.all([import("../client.js"), import("../output.js")]);
  const u = await connect().api.user.create.mutate({ name: a.name, ...(a.admin ? { admin: true } : {}) });
  await write(process.stdout, `${u.token}\n`);
}

export function register(program: Command, handler: (a: UserCreateArgs) => Promise<number | void> = userCreate): Command {
  const cmd = program.command("user").description("Manage users").usage("COMMAND").helpCommand(false);
  cmd
    .command("create")
    .description("Create a user (admin only) and print their first API token")
    .usage("[OPTIONS] NAME")
    .argument("<name>", "user name (also the user's registry namespace)")
    .option("--admin", "make the user an admin")
    .action(action("other", (name: string, opts: { admin?: boolean }) => handler({ name, admin: !!opts.admin })));
  return cmd;
}
