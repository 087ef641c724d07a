import type { Command } from "commander";
import { action } from "../action.js";

export interface StopArgs {
  containers: string[];
  timeoutSec: number | undefined;
}

/** SIGTERM (or the image's StopSignal), SIGKILL after the timeout; prints each container as given, once it has exited. */
export async function stop(a: StopArgs): Promise<number> {
  const { eachContainer } = await import("../each-container.js");
  return eachContainer(a.containers, async (s, ref) => {
    await s.api.container.stop.mutate({ id: ref, ...(a.timeoutSec !== undefined ? { timeoutSec: a.timeoutSec } : {}) });
    return ref;
  });
}

export function parseSeconds(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new Error(`invalid timeout "${v}": expected whole seconds`);
  return n;
}

/** `-t SECONDS` as given to stop and restart; a bad value is a flag error (125, as Docker's). */
export async function timeOption(time: string | undefined): Promise<number | undefined> {
  if (time === undefined) return undefined;
  try {
    return parseSeconds(time);
  } catch (e) {
    const { CliError } = await import("../errors.js");
    throw new CliError("FLAG", (e as Error).message);
  }
}

export function register(program: Command, handler: (a: StopArgs) => Promise<number | void> = stop): Command {
  return program
    .command("stop")
    .description("Stop one or more running containers")
    .usage("[OPTIONS] CONTAINER [CONTAINER...]")
    .option("-t, --time <seconds>", "seconds to wait before killing the container (default 10)")
    .argument("<container...>", "container ids, id prefixes or names")
    .action(
      action("other", async (containers: string[], opts: { time?: string }) => handler({ containers, timeoutSec: await timeOption(opts.time) })),
    );
}
