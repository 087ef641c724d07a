import type { Command } from "commander";
import { action } from "../action.js";

export interface StatsArgs {
  containers: string[];
  all: boolean;
  noStream: boolean;
  format?: string;
}

const INTERVAL_MS = 1000;

/**
 * `stats`: live usage of containers (all running ones when none is named), redrawn every second
 * until Ctrl-C; `--no-stream` prints one table. CPU % needs two samples, so even the single table
 * waits one interval, as docker does.
 */
export async function stats(a: StatsArgs): Promise<void> {
  const [{ connect }, { write }, { CliError }, { formatRows }, f] = await Promise.all([
    import("../client.js"),
    import("../output.js"),
    import("../errors.js"),
    import("../go-template.js"),
    import("../stats-format.js"),
  ]);
  const s = connect();
  const format = a.format ?? f.DEFAULT_STATS_FORMAT;
  const sample = () => s.api.container.stats.query({ ids: a.containers, all: a.all });
  const render = (cur: Awaited<ReturnType<typeof sample>>, prev: Map<string, (typeof cur)[number]>) => {
    try {
      return formatRows(format, cur.map((c) => f.statsRow(c, prev.get(c.id))), f.STATS_HEADERS);
    } catch (e) {
      throw new CliError("USAGE", (e as Error).message);
    }
  };
  let prev = new Map((await sample()).map((c) => [c.id, c]));
  for (;;) {
    await new Promise((r) => setTimeout(r, INTERVAL_MS));
    const cur = await sample();
    const text = render(cur, prev);
    if (a.noStream) {
      await write(process.stdout, text);
      return;
    }
    // Clear the screen and home the cursor, then the table (docker's live view).
    await write(process.stdout, "\x1b[2J\x1b[H" + text);
    prev = new Map(cur.map((c) => [c.id, c]));
  }
}

export function register(program: Command, handler: (a: StatsArgs) => Promise<number | void> = stats): Command {
  return program
    .command("stats")
    .description("Display a live stream of container(s) resource usage statistics")
    .usage("[OPTIONS] [CONTAINER...]")
    .option("-a, --all", "show all containers (default shows just running)")
    .option("--no-stream", "disable streaming stats and only pull the first result")
    .option("--format <template>", "format output with a Go template, or json")
    .argument("[container...]", "container ids, id prefixes or names")
    .action(
      action("other", (containers: string[], opts: { all?: boolean; stream?: boolean; format?: string }) =>
        handler({ containers, all: !!opts.all, noStream: opts.stream === false, ...(opts.format !== undefined ? { format: opts.format } : {}) }),
      ),
    );
}
