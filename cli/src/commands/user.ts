import type { Command } from "commander";
import { action } from "../action.js";

export interface UserCreateArgs {
  name: string;
  admin: boolean;
  /** `--password-stdin`: the password is the first line of stdin. */
  passwordStdin?: boolean;
}

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "";
}

/** Admin only. Prints the new user's first API token (their password for `berth login`, skopeo, docker). */
export async function userCreate(a: UserCreateArgs): Promise<void> {
  const [{ connect }, { write }] = await Promise.all([import("../client.js"), import("../output.js")]);
  const password = a.passwordStdin ? await readStdinLine() : undefined;
  const u = await connect().api.user.create.mutate({ name: a.name, ...(a.admin ? { admin: true } : {}), ...(password !== undefined ? { password } : {}) });
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
    .option("--password-stdin", "set the user's password from the first line of stdin (for berth login and the dashboard)")
    .action(action("other", (name: string, opts: { admin?: boolean; passwordStdin?: boolean }) => handler({ name, admin: !!opts.admin, ...(opts.passwordStdin ? { passwordStdin: true } : {}) })));
  return cmd;
}
