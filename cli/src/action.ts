/**
 * Runs a command's body and turns whatever it throws into one line on stderr and an exit
 * status (errors.ts decides which). Nothing calls process.exit: the status is set and the
 * process ends once its output is flushed and its connections closed.
 */
import { toCliError, exitCodeFor, type CommandKind } from "./errors.js";
import { write } from "./output.js";

export function action<A extends unknown[]>(kind: CommandKind, body: (...args: A) => Promise<number | void>) {
  return async (...args: A): Promise<void> => {
    try {
      const code = await body(...args);
      if (typeof code === "number") process.exitCode = code;
    } catch (err) {
      const e = toCliError(err, await serverUrlForMessages());
      await write(process.stderr, `berth: ${e.message}\n`);
      process.exitCode = exitCodeFor(e, kind);
    }
  };
}

async function serverUrlForMessages(): Promise<string> {
  try {
    const { config } = await import("@berth/core");
    return config().url;
  } catch {
    return (process.env.BERTH_URL ?? `http://127.0.0.1:${process.env.BERTH_PORT ?? 3000}`).replace(/\/+$/, "");
  }
}
