import { Option, type Command } from "commander";
import { action } from "../action.js";

export interface SaveArgs {
  images: string[];
  output: string | undefined;
  format: "docker" | "oci";
}

/** `save`: the server writes the archive; it streams here into the file (or stdout), never whole in memory. */
export async function save(a: SaveArgs): Promise<void> {
  const [{ connectImages, download }, { CliError }, fs, path, { randomUUID }] = await Promise.all([
    import("../image-client.js"),
    import("../errors.js"),
    import("node:fs"),
    import("node:path"),
    import("node:crypto"),
  ]);
  const query: [string, string][] = [...a.images.map((n): [string, string] => ["name", n]), ["format", a.format]];
  if (!a.output) {
    if (process.stdout.isTTY) throw new CliError("USAGE", "cowardly refusing to save to a terminal. Use the -o flag or redirect");
    await download(await connectImages(), "/api/images/save", query, process.stdout);
    return;
  }
  const s = await connectImages();
  // Written beside the target and renamed when complete: a failed save leaves no half archive.
  const dir = path.dirname(path.resolve(a.output));
  const tmp = path.join(dir, `.${path.basename(a.output)}.${randomUUID()}.tmp`);
  // Opened before the download: a bad path is a clear message, not a stream's unhandled error.
  let fd: number;
  try {
    fd = fs.openSync(tmp, "wx", 0o666);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ENOENT" && !fs.existsSync(dir)) throw new CliError("USAGE", `invalid output path: directory "${dir}" does not exist`);
    throw new CliError("USAGE", `cannot write ${a.output}: ${err.code === "EACCES" ? "permission denied" : (err.code ?? err.message)}`);
  }
  try {
    await download(s, "/api/images/save", query, fs.createWriteStream(tmp, { fd }));
    await fs.promises.rename(tmp, a.output);
  } finally {
    await fs.promises.rm(tmp, { force: true });
  }
}

export function register(parent: Command, handler: (a: SaveArgs) => Promise<number | void> = save): Command {
  return parent
    .command("save")
    .description("Save one or more images to a tar archive (streamed to STDOUT by default)")
    .usage("[OPTIONS] IMAGE [IMAGE...]")
    .option("-o, --output <file>", "write to a file, instead of STDOUT")
    .addOption(new Option("--format <format>", "archive format: docker (docker-archive, what docker load reads) or oci (OCI image layout)").choices(["docker", "oci"]).default("docker"))
    .argument("<image...>", "images to save (name[:tag], id or id prefix)")
    .action(action("other", (images: string[], opts: { output?: string; format: "docker" | "oci" }) => handler({ images, output: opts.output, format: opts.format })));
}
