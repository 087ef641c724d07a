import type { Command } from "commander";
import { action } from "../action.js";

export interface PasswdArgs {
  /** `--password-stdin`: the current password on the first line of stdin, the new one on the second. */
  passwordStdin: boolean;
}

async function stdinLines(): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8").split(/\r?\n/);
}

/** Changes the password of the user the CLI's credentials belong to. */
export async function passwd(a: PasswdArgs): Promise<void> {
  const [{ connect }, { write }, { CliError }, { prompt }] = await Promise.all([
    import("../client.js"),
    import("../output.js"),
    import("../errors.js"),
    import("./login.js"),
  ]);
  let oldPassword: string;
  let newPassword: string;
  if (a.passwordStdin) {
    const lines = await stdinLines();
    oldPassword = lines[0] ?? "";
    newPassword = lines[1] ?? "";
    if (!newPassword) throw new CliError("USAGE", "passwd: give the current password on the first line of stdin and the new one on the second");
  } else if (process.stdin.isTTY) {
    oldPassword = await prompt("Current password: ", true);
    newPassword = await prompt("New password: ", true);
    if ((await prompt("New password again: ", true)) !== newPassword) throw new CliError("USAGE", "passwd: the two new passwords differ; nothing was changed");
  } else throw new CliError("USAGE", "cannot ask for passwords without a terminal: pipe them in with --password-stdin (current, then new, one a line)");
  const refused = (e: unknown) => {
    const code = (e as { data?: { code?: string } })?.data?.code;
    return code === "UNAUTHORIZED" ? new CliError("UNAUTHORIZED", "passwd: the current password is wrong; nothing was changed") : e;
  };
  await connect()
    .api.auth.changePassword.mutate({ oldPassword, newPassword })
    .catch((e: unknown) => {
      throw refused(e);
    });
  await write(process.stdout, "Password changed\n");
}

export function register(program: Command, handler: (a: PasswdArgs) => Promise<number | void> = passwd): Command {
  return program
    .command("passwd")
    .description("Change your password (asks for the current one, then the new one twice)")
    .usage("[OPTIONS]")
    .option("--password-stdin", "read the current password, then the new one, from stdin (one a line)")
    .action(action("other", (opts: { passwordStdin?: boolean }) => handler({ passwordStdin: !!opts.passwordStdin })));
}
