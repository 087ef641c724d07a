import type { Command } from "commander";
import { action } from "../action.js";

export async function systemDf(): Promise<void> {
  const [{ connectImages }, { dfTable }, { write }] = await Promise.all([import("../image-client.js"), import("../image-format.js"), import("../output.js")]);
  await write(process.stdout, dfTable(await (await connectImages()).trpc.image.df.query()));
}

export function register(parent: Command, handler: () => Promise<number | void> = systemDf): Command {
  return parent
    .command("df")
    .description("Show disk usage")
    .usage("[OPTIONS]")
    .action(action("other", () => handler()));
}
