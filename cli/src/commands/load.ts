import type { Command } from "commander";
import { action } from "../action.js";

export interface LoadArgs {
  input: string | undefined;
  quiet: boolean;
}

export async function load(a: LoadArgs): Promise<void> {
  const [{ connectImages, uploadWithProgress }, { CliError }, { write }, { readProgress }, fs] = await Promise.all([
    import("../image-client.js"),
    import("../errors.js"),
    import("../output.js"),
    import("../progress-stream.js"),
    import("node:fs"),
  ]);
  let body;
  if (a.input) {
    await fs.promises.access(a.input).catch(() => {
      throw new CliError("USAGE", `open ${a.input}: no such file or directory`);
    });
    body = fs.createReadStream(a.input, { highWaterMark: 1 << 20 });
  } else {
    if (process.stdin.isTTY) throw new CliError("USAGE", "requested load from stdin, but stdin is empty");
    body = process.stdin;
  }
  // Per-layer progress as the worker stores each layer; on a terminal only, as `docker load`
  // (piped, it prints just the "Loaded image" lines scripts read).
  const res = await uploadWithProgress(await connectImages(), "/api/images/load", [], body);
  const r = await readProgress<{ images: { id: string; tags: string[] }[] }>(res, { quiet: a.quiet || !process.stdout.isTTY, what: "the load" });
  if (a.quiet) return;
  const lines = r.images.flatMap((i) => (i.tags.length ? i.tags.map((t) => `Loaded image: ${t}\n`) : [`Loaded image ID: ${i.id}\n`]));
  await write(process.stdout, lines.join(""));
}

export function register(parent: Command, handler: (a: LoadArgs) => Promise<number | void> = load): Command {
  return parent
    .command("load")
    .description("Load images from a tar archive (docker-archive or OCI layout) or STDIN")
    .usage("[OPTIONS]")
    .option("-i, --input <file>", "read from a tar archive file, instead of STDIN")
    .option("-q, --quiet", "suppress the load output")
    .action(action("other", (opts: { input?: string; quiet?: boolean }) => handler({ input: opts.input, quiet: !!opts.quiet })));
}
