import type { Command } from "commander";
import { action } from "../action.js";

export interface ImagesArgs {
  quiet: boolean;
  /** -a: intermediate images too. Berth keeps no intermediate images (build steps are cached as layers), so every image already shows. */
  all?: boolean;
}

export async function images(a: ImagesArgs): Promise<void> {
  const [{ connectQuick }, { imagesTable, idList }, { write }] = await Promise.all([
    import("../trpc-session.js"),
    import("../format.js"),
    import("../output.js"),
  ]);
  const list = await (await connectQuick()).api.image.list.query();
  await write(process.stdout, a.quiet ? idList(list) : imagesTable(list, Date.now()));
}

export function register(program: Command, handler: (a: ImagesArgs) => Promise<number | void> = images): Command {
  return program
    .command("images")
    .description("List images")
    .usage("[OPTIONS]")
    .option("-a, --all", "show all images (Berth keeps no intermediate images: the same list)")
    .option("-q, --quiet", "only show image IDs")
    .action(action("other", (opts: { quiet?: boolean; all?: boolean }) => handler({ quiet: !!opts.quiet, ...(opts.all ? { all: true } : {}) })));
}
