import type { Command } from "commander";
import { action } from "../action.js";

export interface ImportArgs {
  file: string;
  ref: string | undefined;
  message: string | undefined;
  changes: string[];
}

/** `import FILE|- [REPOSITORY[:TAG]]`: a root filesystem tar becomes a one-layer image; prints its id. */
export async function importImage(a: ImportArgs): Promise<void> {
  const [{ connectImages, upload }, { CliError }, { write }, fs] = await Promise.all([
    import("../image-client.js"),
    import("../errors.js"),
    import("../output.js"),
    import("node:fs"),
  ]);
  if (/^https?:\/\//.test(a.file)) throw new CliError("USAGE", "importing from a URL is not supported: download the tar and import the file");
  let body;
  if (a.file === "-") body = process.stdin;
  else {
    await fs.promises.access(a.file).catch(() => {
      throw new CliError("USAGE", `open ${a.file}: no such file or directory`);
    });
    body = fs.createReadStream(a.file, { highWaterMark: 1 << 20 });
  }
  const query: [string, string][] = [
    ...(a.ref ? [["ref", a.ref] as [string, string]] : []),
    ...(a.message !== undefined ? [["message", a.message] as [string, string]] : []),
    ...a.changes.map((c): [string, string] => ["change", c]),
  ];
  const r = await upload<{ id: string }>(await connectImages(), "/api/images/import", query, body);
  await write(process.stdout, `${r.id}\n`);
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function register(parent: Command, handler: (a: ImportArgs) => Promise<number | void> = importImage): Command {
  return parent
    .command("import")
    .description("Import the contents from a tarball to create a filesystem image")
    .usage("[OPTIONS] file|- [REPOSITORY[:TAG]]")
    .option("-c, --change <instruction>", "apply a Dockerfile instruction to the image (CMD, ENTRYPOINT, ENV, LABEL, WORKDIR, USER, EXPOSE)", collect, [] as string[])
    .option("-m, --message <message>", "set a commit message for the imported image")
    .argument("<file>", "a tar (plain or gzip) of a root filesystem, or - for STDIN")
    .argument("[repository]", "name[:tag] for the new image")
    .action(
      action("other", (file: string, ref: string | undefined, opts: { change: string[]; message?: string }) =>
        handler({ file, ref, message: opts.message, changes: opts.change }),
      ),
    );
}
