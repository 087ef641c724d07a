/**
 * The command tree. Building it loads only commander and the command files (which load
 * their heavy dependencies when they run), so --help and --version stay fast.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { CliError, exitCodeFor, type CommandKind } from "./errors.js";
import * as runCmd from "./commands/run.js";
import * as psCmd from "./commands/ps.js";
import * as imagesCmd from "./commands/images.js";
import * as logsCmd from "./commands/logs.js";

export interface Handlers {
  run: Parameters<typeof runCmd.register>[1];
  ps: Parameters<typeof psCmd.register>[1];
  images: Parameters<typeof imagesCmd.register>[1];
  logs: Parameters<typeof logsCmd.register>[1];
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/** A usage error (or --help/--version) from commander, with the exit status errors.ts gives it. */
export class UsageExit extends Error {
  constructor(readonly exitCode: number) {
    super("usage");
  }
}

function usageExit(kind: CommandKind) {
  return (err: CommanderError): never => {
    throw new UsageExit(err.exitCode === 0 ? 0 : exitCodeFor(new CliError("USAGE", err.message), kind));
  };
}

export function buildProgram(handlers: Partial<Handlers> = {}): Command {
  const program = new Command("berth")
    .description("Berth: build, ship and run containers on your own hosts")
    .usage("[OPTIONS] COMMAND")
    .version(version(), "-v, --version", "print version information and quit")
    .helpOption("-h, --help", "display help")
    .helpCommand(false)
    .enablePositionalOptions()
    .showSuggestionAfterError()
    // "error: unknown option '-x'" → "berth: unknown option '-x'": one line, on stderr.
    .configureOutput({
      outputError: (str, write) => write(str.replace(/^error: /, "berth: ").replace(/\n\(Did you mean/, " (did you mean")),
    })
    .exitOverride(usageExit("other"));

  runCmd.register(program, handlers.run).exitOverride(usageExit("run"));
  psCmd.register(program, handlers.ps);
  imagesCmd.register(program, handlers.images);
  logsCmd.register(program, handlers.logs);
  return program;
}
