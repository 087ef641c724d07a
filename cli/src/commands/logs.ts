import type { Command } from "commander";
import { action } from "../action.js";

export interface LogsArgs {
  container: string;
  follow: boolean;
}

export async function logs(a: LogsArgs): Promise<void> {
  const [{ connect, followLogs }, { LineWriter }] = await Promise.all([import("../client.js"), import("../output.js")]);
  const s = connect();
  const out = new LineWriter();
  try {
    if (a.follow) {
      // The server resolves names and id prefixes (and full ids of auto-removed containers).
      await followLogs(s, a.container, (e) => out.line(e.stream, e.line));
    } else {
      const { entries } = await s.api.container.logs.query({ id: a.container });
      for (const e of entries) if (e.stream !== "exit") out.line(e.stream, e.line);
    }
  } finally {
    await out.flush();
  }
}

export function register(program: Command, handler: (a: LogsArgs) => Promise<number | void> = logs): Command {
  return program
    .command("logs")
    .description("Fetch the logs of a container")
    .usage("[OPTIONS] CONTAINER")
    .option("-f, --follow", "follow log output until the container exits")
    .argument("<container>", "container id, id prefix or name")
    .action(action("other", (container: string, opts: { follow?: boolean }) => handler({ container, follow: !!opts.follow })));
}
