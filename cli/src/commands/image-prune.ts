import type { Command } from "commander";
import { action } from "../action.js";
import { confirm } from "../confirm.js";

export interface ImagePruneArgs {
  all: boolean;
  force: boolean;
}

export async function imagePrune(a: ImagePruneArgs): Promise<void> {
  const [{ connectImages }, { pruneReport }, { write }] = await Promise.all([import("../image-client.js"), import("../image-format.js"), import("../output.js")]);
  if (!a.force) {
    const what = a.all ? "all images without at least one container associated to them" : "all dangling images";
    if (!(await confirm(`WARNING! This will remove ${what}.\nAre you sure you want to continue? [y/N] `))) return;
  }
  const r = await (await connectImages()).trpc.image.prune.mutate({ all: a.all });
  await write(process.stdout, pruneReport(r));
}

export function register(parent: Command, handler: (a: ImagePruneArgs) => Promise<number | void> = imagePrune): Command {
  return parent
    .command("prune")
    .description("Remove unused images, then the blobs and snapshots nothing uses any more")
    .usage("[OPTIONS]")
    .option("-a, --all", "remove all unused images, not just dangling ones")
    .option("-f, --force", "do not prompt for confirmation")
    .action(action("other", (opts: { all?: boolean; force?: boolean }) => handler({ all: !!opts.all, force: !!opts.force })));
}
