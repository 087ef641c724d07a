import type { Command } from "commander";
import { action } from "../action.js";

export interface LogsArgs {
  container: string;
  follow: boolean;
  /** "all" or a number of lines, as typed */
  tail?: string;
  since?: string;
  until?: string;
  timestamps?: boolean;
}

/**
 * `berth logs`: the container's history from its json-file logs on its host (rotated files
 * included), then with -f its live output until its current run ends. stdout lines go to our
 * stdout and stderr lines to our stderr, each in order, as docker.
 */
export async function logs(a: LogsArgs): Promise<void> {
  const [{ connect }, { openSocket, ask }, { readFrames, LOGS_READ }, { CliError }, { write }, { parseTimeFlags }] = await Promise.all([
    import("../client.js"),
    import("../socket-session.js"),
    import("@berth/core"),
    import("../errors.js"),
    import("../output.js"),
    import("../time-flags.js"),
  ]);
  let tail: number | undefined;
  if (a.tail !== undefined && a.tail !== "all") {
    if (!/^-?\d+$/.test(a.tail.trim())) throw new CliError("USAGE", `invalid value "${a.tail}" for --tail: use a number of lines or "all"`);
    const n = Number(a.tail);
    if (n >= 0) tail = n; // docker reads a negative --tail as all
  }
  const times = parseTimeFlags(a);
  const s = connect();
  const socket = await openSocket(s);
  // `berth logs c | head`: once the reader is gone, stop quietly (as docker), not with EPIPE.
  let readerGone = false;
  const onOutError = (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    readerGone = true;
    socket.disconnect();
  };
  process.stdout.on("error", onOutError);
  process.stderr.on("error", onOutError);
  try {
    const { session } = await ask<{ session: string }>(socket, s.url, LOGS_READ.open, {
      containerId: a.container,
      follow: a.follow,
      timestamps: !!a.timestamps,
      ...(tail !== undefined ? { tail } : {}),
      ...times,
    });
    const next = () => ask<{ data?: ArrayBuffer | Uint8Array; done: boolean }>(socket, s.url, LOGS_READ.next, { session });
    let pending = next();
    for (;;) {
      const chunk = await pending;
      // Ask for the next chunk while this one is written.
      if (!chunk.done) pending = next();
      if (chunk.data && chunk.data.byteLength) {
        const buf = chunk.data instanceof Uint8Array ? chunk.data : new Uint8Array(chunk.data);
        const writes: Promise<void>[] = [];
        readFrames(buf, (stream, payload) => writes.push(write(stream === "stderr" ? process.stderr : process.stdout, payload)));
        await Promise.race([Promise.all(writes), new Promise((resolve) => socket.once("disconnect", resolve))]);
      }
      if (chunk.done || readerGone) break;
    }
  } catch (err) {
    if (!readerGone) throw err;
  } finally {
    socket.disconnect();
    process.stdout.off("error", onOutError);
    process.stderr.off("error", onOutError);
  }
}

export function register(program: Command, handler: (a: LogsArgs) => Promise<number | void> = logs): Command {
  return program
    .command("logs")
    .description("Fetch the logs of a container")
    .usage("[OPTIONS] CONTAINER")
    .option("-f, --follow", "follow log output until the container's current run ends")
    .option("-n, --tail <lines>", 'number of lines to show from the end of the logs ("all" for all)')
    .option("--since <time>", "show logs since a time: RFC 3339 (2026-11-28T01:02:03Z), Unix seconds, or relative (10m, 1h30m)")
    .option("--until <time>", "show logs before a time: RFC 3339, Unix seconds, or relative (10m, 1h30m)")
    .option("-t, --timestamps", "show timestamps (RFC 3339 with nanoseconds)")
    .argument("<container>", "container id, id prefix or name")
    .action(
      action("other", (container: string, opts: { follow?: boolean; tail?: string; since?: string; until?: string; timestamps?: boolean }) =>
        handler({ container, follow: !!opts.follow, tail: opts.tail, since: opts.since, until: opts.until, timestamps: opts.timestamps }),
      ),
    );
}
