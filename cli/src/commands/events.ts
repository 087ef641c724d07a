import type { Command } from "commander";
import { action } from "../action.js";

export interface EventsArgs {
  since?: string;
  until?: string;
  filters: string[];
  format?: string;
}

/** `berth events`: recent events from --since, then live ones until --until (or Ctrl-C). */
export async function events(a: EventsArgs): Promise<void> {
  const [{ connect }, { openSocket, ask }, { EVENTS_READ }, { parseTimeFlags }, { write }, fmt] = await Promise.all([
    import("../client.js"),
    import("../socket-session.js"),
    import("@berth/core"),
    import("../time-flags.js"),
    import("../output.js"),
    import("../event-format.js"),
  ]);
  const times = parseTimeFlags(a);
  const s = connect();
  const socket = await openSocket(s);
  try {
    const { session } = await ask<{ session: string }>(socket, s.url, EVENTS_READ.open, {
      filters: a.filters,
      ...times,
    });
    for (;;) {
      const r = await ask<{ events: import("../event-format.js").DockerEventView[]; done: boolean }>(socket, s.url, EVENTS_READ.next, { session });
      if (r.events.length) await write(process.stdout, r.events.map((e) => (a.format ? fmt.formatEvent(a.format, e) : fmt.eventLine(e)) + "\n").join(""));
      if (r.done) break;
    }
  } finally {
    socket.disconnect();
  }
}

export function register(program: Command, handler: (a: EventsArgs) => Promise<number | void> = events): Command {
  return program
    .command("events")
    .description("Get real time events from the server")
    .usage("[OPTIONS]")
    .option("--since <time>", "show events since a time: RFC 3339, Unix seconds, or relative (10m, 1h30m)")
    .option("--until <time>", "stream events until this time")
    .option("-f, --filter <filter>", "filter output: type=container|image, event=start, container=NAME|ID, image=REF (repeatable)", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option("--format <template>", "format the output using a Go template, e.g. '{{json .}}'")
    .action(
      action("other", (opts: { since?: string; until?: string; filter: string[]; format?: string }) =>
        handler({ filters: opts.filter, ...(opts.since !== undefined ? { since: opts.since } : {}), ...(opts.until !== undefined ? { until: opts.until } : {}), ...(opts.format !== undefined ? { format: opts.format } : {}) }),
      ),
    );
}
