import type { Command } from "commander";
import { action } from "../action.js";

/** Forgets the stored login for BERTH_URL, and revokes its token if `berth login` made it. */
export async function logout(): Promise<void> {
  const [{ config }, { connectWith }, { removeLogin }, { write }] = await Promise.all([
    import("@berth/core"),
    import("../client.js"),
    import("../credentials.js"),
    import("../output.js"),
  ]);
  const { url } = config();
  const entry = removeLogin(url);
  if (!entry) return write(process.stdout, `Not logged in to ${url}\n`);
  if (entry.minted) await connectWith(url, entry.token).api.token.revoke.mutate({}).catch(() => {});
  await write(process.stdout, `Removing login credentials for ${url}\n`);
}

export function register(program: Command, handler: () => Promise<number | void> = logout): Command {
  return program
    .command("logout")
    .description("Log out from the Berth server (BERTH_URL)")
    .usage("")
    .action(action("other", () => handler()));
}
