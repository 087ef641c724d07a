import type { Command } from "commander";
import { action } from "../action.js";

export const INSPECT_TYPES = ["container", "image", "network", "volume"] as const;
export type InspectType = (typeof INSPECT_TYPES)[number];

export interface InspectArgs {
  containers: string[];
  /** `-f/--format`: a Go template applied to each object (`json` alone: one JSON line each). */
  format?: string;
  /** `--type`: look only for this kind of object. */
  type?: InspectType;
}

/**
 * `docker inspect`: each name is looked up as a container, then an image, a network, a volume
 * (Docker's order; `--type` names one). Without --format, one JSON array of what was found; with
 * it, the template's output per object. An unknown name is an error line ("No such object") and
 * exit status 1, after the others print.
 */
export async function inspect(a: InspectArgs): Promise<number> {
  const [{ connect }, { write }, { toCliError, CliError }] = await Promise.all([import("../client.js"), import("../output.js"), import("../errors.js")]);
  const s = connect();
  const lookups: Record<InspectType, (ref: string) => Promise<unknown>> = {
    container: (ref) => s.api.container.inspect.query({ id: ref }),
    image: async (ref) => (await s.api.image.inspect.query({ refs: [ref] }))[0],
    network: async (ref) => (await s.api.network.inspect.query({ names: [ref] }))[0],
    volume: async (ref) => (await s.api.volume.inspect.query({ names: [ref] }))[0],
  };
  const order = a.type ? [a.type] : INSPECT_TYPES;
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const ref of a.containers) {
    let hit: unknown;
    for (const t of order) {
      try {
        hit = await lookups[t](ref);
      } catch (err) {
        const e = toCliError(err, s.url);
        // Not this kind (or not a valid name for it): try the next kind.
        if (e.code !== "NOT_FOUND" && e.code !== "BAD_REQUEST") throw e;
      }
      if (hit !== undefined) break;
    }
    if (hit === undefined) errors.push(a.type ? `No such ${a.type}: ${ref}` : `No such object: ${ref}`);
    else found.push(hit);
  }
  if (a.format === undefined) await write(process.stdout, JSON.stringify(found, null, 4) + "\n");
  else {
    const { parseTemplate, renderTemplate } = await import("../go-template-eval.js");
    let out = "";
    try {
      const tpl = parseTemplate(a.format === "json" ? "{{json .}}" : a.format);
      for (const o of found) out += renderTemplate(tpl, o) + "\n";
    } catch (e) {
      throw new CliError("USAGE", (e as Error).message);
    }
    await write(process.stdout, out);
  }
  for (const m of errors) await write(process.stderr, `berth: Error: ${m}\n`);
  return errors.length ? 1 : 0;
}

export function register(program: Command, handler: (a: InspectArgs) => Promise<number | void> = inspect): Command {
  return program
    .command("inspect")
    .description("Return low-level information on containers, images, networks or volumes")
    .usage("[OPTIONS] NAME|ID [NAME|ID...]")
    .option("-f, --format <template>", "format the output using the given Go template (or json)")
    .option("--type <type>", `only inspect objects of the given type: ${INSPECT_TYPES.join(", ")}`)
    .option("-s, --size", "display total file sizes if the type is container (accepted; sizes are not computed)")
    .argument("<name...>", "container, image, network or volume: id, id prefix or name")
    .action(
      action("other", async (names: string[], opts: { format?: string; type?: string }) => {
        if (opts.type !== undefined && !(INSPECT_TYPES as readonly string[]).includes(opts.type)) {
          const { CliError } = await import("../errors.js");
          throw new CliError("USAGE", `"${opts.type}" is not a valid value for --type: use ${INSPECT_TYPES.join(", ")}`);
        }
        return handler({ containers: names, ...(opts.format !== undefined ? { format: opts.format } : {}), ...(opts.type ? { type: opts.type as InspectType } : {}) });
      }),
    );
}
