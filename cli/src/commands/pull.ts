import type { Command } from "commander";
import { action } from "../action.js";

export interface PullArgs {
  name: string;
  creds?: string;
  quiet: boolean;
}

export async function pull(a: PullArgs): Promise<void> {
  const [{ credsFor, transfer }, { write }] = await Promise.all([import("../registry-transfer.js"), import("../output.js")]);
  const r = await transfer<{ id: string; digest: string; ref: string }>("/api/images/pull", a.name, credsFor(a.name, a.creds), a.quiet);
  await write(process.stdout, `${r.ref}\n`);
}

export function register(parent: Command, handler: (a: PullArgs) => Promise<number | void> = pull): Command {
  return parent
    .command("pull")
    .description("Download an image from a registry (127.0.0.1:3000/alice/app:1; a name without a host means Docker Hub)")
    .usage("[OPTIONS] NAME[:TAG|@DIGEST]")
    .argument("<name>", "[REGISTRY/]REPOSITORY[:TAG|@DIGEST]")
    .option("--creds <user:token>", "credentials for the registry (default: those stored by `berth login REGISTRY`)")
    .option("-q, --quiet", "suppress verbose output")
    .action(action("other", (name: string, o: { creds?: string; quiet?: boolean }) => handler({ name, ...(o.creds ? { creds: o.creds } : {}), quiet: !!o.quiet })));
}
