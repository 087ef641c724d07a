import type { Command } from "commander";
import { action } from "../action.js";

export interface PsArgs {
  all: boolean;
  quiet: boolean;
  /** `--filter key=value`, repeatable. */
  filter?: string[];
  /** `--format` (Go template, `table …`, or `json`). */
  format?: string;
  /** `-n N`: the N last created (any state); `-l`: the last one. */
  last?: number;
  noTrunc?: boolean;
}

export async function ps(a: PsArgs): Promise<void> {
  const [{ connect }, { psTable, idList }, { write }, { CliError }, { parseFilters, matches }, { containerRows, PS_HEADERS, DEFAULT_PS_FORMAT }, { formatRows }] =
    await Promise.all([
      import("../client.js"),
      import("../format.js"),
      import("../output.js"),
      import("../errors.js"),
      import("../ps-filter.js"),
      import("../ps-rows.js"),
      import("../go-template.js"),
    ]);
  let filters;
  try {
    filters = parseFilters(a.filter ?? []);
  } catch (e) {
    throw new CliError("USAGE", (e as Error).message);
  }
  // Docker: a status filter, -n and -l look at every container, not only the running ones.
  const all = a.all || filters.has("status") || a.last !== undefined;
  const everything = await connect().api.container.list.query({ all: true });
  let containers = everything.filter((c) => (all ? true : c.state === "running" || c.state === "restarting" || c.state === "created"));
  try {
    containers = containers.filter((c) => matches(c, filters, everything));
  } catch (e) {
    throw new CliError("NOT_FOUND", (e as Error).message);
  }
  if (a.last !== undefined) containers = [...containers].sort((x, y) => Date.parse(y.createdAt) - Date.parse(x.createdAt)).slice(0, a.last);
  const now = Date.now();
  if (a.quiet) {
    await write(process.stdout, a.noTrunc ? containers.map((c) => c.id + "\n").join("") : idList(containers));
    return;
  }
  if (a.format === undefined && !a.noTrunc) {
    await write(process.stdout, psTable(containers, now));
    return;
  }
  try {
    await write(process.stdout, formatRows(a.format ?? DEFAULT_PS_FORMAT, containerRows(containers, now, !!a.noTrunc), PS_HEADERS));
  } catch (e) {
    throw new CliError("USAGE", (e as Error).message);
  }
}

export function register(program: Command, handler: (a: PsArgs) => Promise<number | void> = ps): Command {
  return program
    .command("ps")
    .description("List containers")
    .usage("[OPTIONS]")
    .option("-a, --all", "show all containers (default shows just running)")
    .option("-q, --quiet", "only display container IDs")
    .option("-f, --filter <key=value>", "filter output: status, name, id, label, ancestor, exited, before, since (repeatable)", (v: string, prev: string[] = []) => [...prev, v])
    .option("--format <template>", "format output with a Go template ('table {{.ID}}\\t{{.Names}}'), or json")
    .option("-n, --last <n>", "show the n last created containers (includes all states)")
    .option("-l, --latest", "show the latest created container (includes all states)")
    .option("--no-trunc", "don't truncate output")
    .action(
      action("other", async (opts: { all?: boolean; quiet?: boolean; filter?: string[]; format?: string; last?: string; latest?: boolean; trunc?: boolean }) => {
        let last: number | undefined = opts.latest ? 1 : undefined;
        if (opts.last !== undefined) {
          if (!/^-?\d+$/.test(opts.last)) {
            const { CliError } = await import("../errors.js");
            throw new CliError("USAGE", `invalid value "${opts.last}" for --last: expected a whole number`);
          }
          // Docker: -n -1 (its default) means no limit.
          if (Number(opts.last) >= 0) last = Number(opts.last);
        }
        return handler({
          all: !!opts.all,
          quiet: !!opts.quiet,
          ...(opts.filter ? { filter: opts.filter } : {}),
          ...(opts.format !== undefined ? { format: opts.format } : {}),
          ...(last !== undefined ? { last } : {}),
          ...(opts.trunc === false ? { noTrunc: true } : {}),
        });
      }),
    );
}
