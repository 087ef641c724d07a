/**
 * The root `berth` command without its subcommands: name, version, help and the one-line error
 * style. program.ts adds every command to it; a lean entry (entries/) adds just one.
 */
import { readFileSync } from "node:fs";
import { Command, type CommanderError } from "commander";
import { CliError, exitCodeFor, type CommandKind } from "./errors.js";

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

/** Commander's errors about flags (Docker: 125 for any command; a missing argument or unknown command is 1). */
const FLAG_ERRORS = new Set(["commander.unknownOption", "commander.optionMissingArgument", "commander.invalidArgument", "commander.missingMandatoryOptionValue"]);

export function usageExit(kind: CommandKind) {
  return (err: CommanderError): never => {
    throw new UsageExit(err.exitCode === 0 ? 0 : exitCodeFor(new CliError(FLAG_ERRORS.has(err.code) ? "FLAG" : "USAGE", err.message), kind));
  };
}

/** The root command with no subcommands: its name, version, help and error style (shared by the lean entries). */
export function baseProgram(): Command {
  return new Command("berth")
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
}


/** Parses the command line and runs the command; the exit status is set, never forced. */
export function runCli(program: Command): void {
  // `berth logs x | head`: a closed pipe ends the command quietly.
  for (const s of [process.stdout, process.stderr]) {
    s.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  // No top-level await: the bundle (scripts/bundle.mjs) is CommonJS, so V8 can cache its code.
  program.parseAsync(process.argv).catch((err: unknown) => {
    if (!(err instanceof UsageExit)) throw err;
    process.exitCode = err.exitCode;
  });
}
