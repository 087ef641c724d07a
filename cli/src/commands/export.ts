import type { Command } from "commander";
import { action } from "../action.js";

export interface ExportArgs {
  container: string;
  output: string | undefined;
}

/** `export`: the container's filesystem (its image plus its changes) as a tar. */
export async function exportContainer(a: ExportArgs): Promise<void> {
  const [{ connectImages, download }, { CliError }, fs, path, { randomUUID }] = await Promise.all([
    import("../image-client.js"),
    import("../errors.js"),
    import("node:fs"),
    import("node:path"),
    import("node:crypto"),
  ]);
  const query: [string, string][] = [["id", a.container]];
  if (!a.output) {
    if (process.stdout.isTTY) throw new CliError("USAGE", "cowardly refusing to save to a terminal. Use the -o flag or redirect");
    await download(await connectImages(), "/api/containers/export", query, process.stdout);
    return;
  }
  const s = await connectImages();
  const tmp = path.join(path.dirname(path.resolve(a.output)), `.${path.basename(a.output)}.${randomUUID()}.tmp`);
  try {
    await download(s, "/api/containers/export", query, fs.createWriteStream(tmp, { flags: "wx" }));
    await fs.promises.rename(tmp, a.output);
  } finally {
    await fs.promises.rm(tmp, { force: true });
  }
}

export function register(parent: Command, handler: (a: ExportArgs) => Promise<number | void> = exportContainer): Command {
  return parent
    .command("export")
    .description("Export a container's filesystem as a tar archive")
    .usage("[OPTIONS] CONTAINER")
    .option("-o, --output <file>", "write to a file, instead of STDOUT")
    .argument("<container>", "container id, id prefix or name")
    .action(action("other", (container: string, opts: { output?: string }) => handler({ container, output: opts.output })));
}
