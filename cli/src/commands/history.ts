import type { Command } from "commander";
import { action } from "../action.js";

export interface HistoryArgs {
  image: string;
  noTrunc: boolean;
  quiet: boolean;
}

export async function history(a: HistoryArgs): Promise<void> {
  const [{ connectImages }, { historyTable }, { write }] = await Promise.all([import("../image-client.js"), import("../image-format.js"), import("../output.js")]);
  const rows = await (await connectImages()).trpc.image.history.query({ ref: a.image });
  await write(process.stdout, historyTable(rows, Date.now(), { noTrunc: a.noTrunc, quiet: a.quiet }));
}

export function register(parent: Command, handler: (a: HistoryArgs) => Promise<number | void> = history): Command {
  return parent
    .command("history")
    .description("Show the history of an image")
    .usage("[OPTIONS] IMAGE")
    .option("--no-trunc", "don't truncate output")
    .option("-q, --quiet", "only show image IDs")
    .argument("<image>", "image (name[:tag], id or id prefix)")
    .action(action("other", (image: string, opts: { trunc?: boolean; quiet?: boolean }) => handler({ image, noTrunc: opts.trunc === false, quiet: !!opts.quiet })));
}
