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
  /** `-s`: the SIZE column (the container's own layer, and with its image). */
  size?: boolean;
}

type Session = import("../trpc-session.js").Session;
type Summary = import("../api.js").ContainerSummary;

/** PORTS: the bound ports of running containers that publish any (inspect knows them). */
async function portsOf(s: Session, containers: Summary[]): Promise<Map<string, string>> {
  const { portsCell } = await import("../format.js");
  const out = new Map<string, string>();
  await Promise.all(
    containers
      .filter((c) => c.publishes && c.state === "running")
      .map(async (c) => {
        const i = (await s.api.container.inspect.query({ id: c.id }).catch(() => undefined)) as { NetworkSettings?: { Ports?: Record<string, { HostIp: string; HostPort: string }[] | null> } } | undefined;
        out.set(c.id, portsCell(i?.NetworkSettings?.Ports ?? {}));
      }),
  );
  return out;
}

/** SIZE as Docker prints it: "12B (virtual 4.26MB)". */
async function sizesOf(s: Session, containers: Summary[]): Promise<Map<string, string>> {
  const [{ humanSize }, df, images] = await Promise.all([import("../format.js"), s.api.image.df.query(), s.api.image.list.query()]);
  const imageSize = new Map(images.map((i) => [i.id, i.size]));
  const own = df.containers.sizes ?? {};
  return new Map(containers.map((c) => [c.id, `${humanSize(own[c.id] ?? 0)} (virtual ${humanSize((own[c.id] ?? 0) + (imageSize.get(c.imageId) ?? 0))})`]));
}

export async function ps(a: PsArgs): Promise<void> {
  const [{ connectQuick }, { psTable, idList }, { write }, { CliError }, { parseFilters, matches }, { containerRows, PS_HEADERS, DEFAULT_PS_FORMAT }, { formatRows }] =
    await Promise.all([
      import("../trpc-session.js"),
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
  const s = await connectQuick();
  const everything = await s.api.container.list.query({ all: true });
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
  // PORTS and SIZE cost requests of their own: only when shown.
  const shows = (field: string) => a.format === undefined || a.format === "json" || a.format.includes(`.${field}`) || /\{\{\s*json\s+\.\s*\}\}/.test(a.format);
  const [ports, sizes] = await Promise.all([shows("Ports") ? portsOf(s, containers) : undefined, a.size && shows("Size") ? sizesOf(s, containers) : undefined]);
  const extras = { ...(ports ? { ports } : {}), ...(sizes ? { sizes } : {}) };
  if (a.format === undefined && !a.noTrunc) {
    await write(process.stdout, psTable(containers, now, extras));
    return;
  }
  try {
    const format = a.format ?? (a.size ? `${DEFAULT_PS_FORMAT}\t{{.Size}}` : DEFAULT_PS_FORMAT);
    await write(process.stdout, formatRows(format, containerRows(containers, now, !!a.noTrunc, extras), PS_HEADERS));
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
    .option("-s, --size", "display total file sizes")
    .action(
      action("other", async (opts: { all?: boolean; quiet?: boolean; filter?: string[]; format?: string; last?: string; latest?: boolean; trunc?: boolean; size?: boolean }) => {
        let last: number | undefined = opts.latest ? 1 : undefined;
        if (opts.last !== undefined) {
          if (!/^-?\d+$/.test(opts.last)) {
            const { CliError } = await import("../errors.js");
            throw new CliError("FLAG", `invalid value "${opts.last}" for --last: expected a whole number`);
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
          ...(opts.size ? { size: true } : {}),
        });
      }),
    );
}
