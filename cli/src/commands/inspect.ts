import type { Command } from "commander";
import { action } from "../action.js";

export interface InspectArgs {
  containers: string[];
}

/**
 * `docker inspect` for containers only, for now (images: `berth image inspect`). Prints one JSON
 * array of what was found; each unknown container is an error line and exit status 1.
 */
export async function inspect(a: InspectArgs): Promise<number> {
  const [{ eachContainer }, { write }] = await Promise.all([import("../each-container.js"), import("../output.js")]);
  const found: unknown[] = [];
  const status = await eachContainer(a.containers, async (s, ref) => {
    found.push(await s.api.container.inspect.query({ id: ref }));
  });
  await write(process.stdout, JSON.stringify(found, null, 4) + "\n");
  return status;
}

export function register(program: Command, handler: (a: InspectArgs) => Promise<number | void> = inspect): Command {
  return program
    .command("inspect")
    .description("Display detailed information on one or more containers (images: berth image inspect)")
    .usage("CONTAINER [CONTAINER...]")
    .argument("<container...>", "container ids, id prefixes or names")
    .action(action("other", (containers: string[]) => handler({ containers })));
}
