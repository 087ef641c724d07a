import type { Command } from "commander";
import { action } from "../action.js";

export interface RmiArgs {
  images: string[];
  force: boolean;
}

/** Like docker: each image in turn; a failure is reported and the rest still go; exit 1 if any failed. */
export async function rmi(a: RmiArgs): Promise<number> {
  const [{ connectImages }, { removeLines }, { write }, { toCliError }] = await Promise.all([
    import("../image-client.js"),
    import("../image-format.js"),
    import("../output.js"),
    import("../errors.js"),
  ]);
  const s = await connectImages();
  let status = 0;
  for (const ref of a.images) {
    try {
      await write(process.stdout, removeLines(await s.trpc.image.remove.mutate({ ref, force: a.force })));
    } catch (err) {
      const e = toCliError(err, s.url);
      if (e.code === "CONNECTION" || e.code === "UNAUTHORIZED") throw e;
      await write(process.stderr, `berth: ${e.message}\n`);
      status = 1;
    }
  }
  return status;
}

export function register(parent: Command, handler: (a: RmiArgs) => Promise<number | void> = rmi, name = "rmi"): Command {
  return parent
    .command(name)
    .description("Remove one or more images")
    .usage("[OPTIONS] IMAGE [IMAGE...]")
    .option("-f, --force", "remove even if a container uses it (the image stays, untagged, until that container is removed)")
    .argument("<image...>", "images (name[:tag], id or id prefix)")
    .action(action("other", (images: string[], opts: { force?: boolean }) => handler({ images, force: !!opts.force })));
}
