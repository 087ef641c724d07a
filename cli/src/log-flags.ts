/**
 * `--log-driver` and `--log-opt` for run and create: defined here, hooked into runFlags() and
 * toOptions() with a line each.
 */
import type { Command } from "commander";

export interface LogFlags {
  logDriver?: string;
  logOpt?: string[];
}

export function logFlags(cmd: Command): Command {
  return cmd
    .option("--log-driver <driver>", "logging driver for the container: json-file (default) or none")
    .option("--log-opt <opt>", "log driver option, repeatable: max-size=10m, max-file=3", (v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
}

/** The flags as ContainerOptions fields; a bad value is a usage error naming the option. */
export async function logOptions(f: LogFlags) {
  if (f.logDriver === undefined && !f.logOpt?.length) return {};
  const [{ parseLogFlags }, { CliError }] = await Promise.all([import("@berth/core"), import("./errors.js")]);
  try {
    return parseLogFlags(f.logDriver, f.logOpt ?? []);
  } catch (e) {
    throw new CliError("USAGE", (e as Error).message);
  }
}
