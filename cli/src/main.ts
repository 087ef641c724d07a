import { buildProgram, UsageExit } from "./program.js";

// `berth logs x | head`: a closed pipe ends the command quietly.
for (const s of [process.stdout, process.stderr]) {
  s.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

// No top-level await: the bundle (scripts/bundle.mjs) is CommonJS, so V8 can cache its code.
buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    if (!(err instanceof UsageExit)) throw err;
    process.exitCode = err.exitCode;
  });
