import type { Command } from "commander";
import { action } from "../action.js";

export interface ImageInspectArgs {
  images: string[];
  /** `-f/--format`: a Go template per image (as `inspect -f`). */
  format?: string;
}

/** Docker's JSON array; an image that does not exist fails the command after the others print. */
export async function imageInspect(a: ImageInspectArgs): Promise<number> {
  if (a.format !== undefined) return (await import("./inspect.js")).inspect({ containers: a.images, format: a.format, type: "image" });
  const [{ connectImages }, { write }, { toCliError }] = await Promise.all([import("../image-client.js"), import("../output.js"), import("../errors.js")]);
  const s = await connectImages();
  const found: Record<string, unknown>[] = [];
  const errors: string[] = [];
  for (const ref of a.images) {
    try {
      found.push(...(await s.trpc.image.inspect.query({ refs: [ref] })));
    } catch (err) {
      const e = toCliError(err, s.url);
      if (e.code !== "NOT_FOUND") throw e;
      errors.push(e.message);
    }
  }
  await write(process.stdout, JSON.stringify(found, null, 4) + "\n");
  for (const m of errors) await write(process.stderr, `berth: ${m}\n`);
  return errors.length ? 1 : 0;
}

export function register(parent: Command, handler: (a: ImageInspectArgs) => Promise<number | void> = imageInspect): Command {
  return parent
    .command("inspect")
    .description("Display detailed information on one or more images")
    .usage("IMAGE [IMAGE...]")
    .option("-f, --format <template>", "format the output using the given Go template (or json)")
    .argument("<image...>", "images (name[:tag], id or id prefix)")
    .action(action("other", (images: string[], o: { format?: string }) => handler({ images, ...(o.format !== undefined ? { format: o.format } : {}) })));
}
