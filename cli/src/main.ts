import { buildProgram, UsageExit } from "./program.js";

// `berth logs x | head`: a closed pipe ends the command quietly.
for (const s of [process.stdout, process.stderr]) {
  s.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  if (!(err instanceof UsageExit)) throw err;
  process.exitCode = err.exitCode;
}
