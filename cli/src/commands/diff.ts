import type { Command } from "commander";
import { action } from "../action.js";

const KIND = ["C", "A", "D"] as const;

/** `diff CONTAINER`: changed (C), added (A) and deleted (D) paths of its filesystem. */
export function register(program: Command): Command {
  return program
    .command("diff")
    .description("Inspect changes to files or directories on a container's filesystem")
    .usage("CONTAINER")
    .argument("<container>", "container id, id prefix or name")
    .action(
      action("other", async (ref: string) => {
        const [{ connect }, { write }] = await Promise.all([import("../client.js"), import("../output.js")]);
        const changes = await connect().api.container.changes.query({ id: ref });
        await write(process.stdout, changes.map((c) => `${KIND[c.Kind]} ${c.Path}\n`).join(""));
      }),
    );
}
