import type { Command } from "commander";
import { action } from "../action.js";

export interface PushArgs {
  name: string;
  creds?: string;
  quiet: boolean;
}

export async function push(a: PushArgs): Promise<void> {
  const { credsFor, transfer } = await import("../registry-transfer.js");
  await transfer<{ digest: string; size: number }>("/api/images/push", a.name, credsFor(a.name, a.creds), a.quiet);
}

export function register(parent: Command, handler: (a: PushArgs) => Promise<number | void> = push): Command {
  return parent
    .command("push")
    .description("Upload an image to a registry (the name starts with the registry host: 127.0.0.1:3000/alice/app:1)")
    .usage("[OPTIONS] NAME[:TAG]")
    .argument("<name>", "REGISTRY/REPOSITORY[:TAG]")
    .option("--creds <user:token>", "credentials for the registry (default: those stored by `berth login REGISTRY`)")
    .option("-q, --quiet", "suppress verbose output")
    .action(action("other", (name: string, o: { creds?: string; quiet?: boolean }) => handler({ name, ...(o.creds ? { creds: o.creds } : {}), quiet: !!o.quiet })));
}
