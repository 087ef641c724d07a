/**
 * Docker's multi-container commands (stop, kill, rm, wait, start, …): each container in turn; a
 * failure is reported on stderr and the rest still go; the exit status is 1 if any failed.
 * Connection and credential failures end the command at once.
 */
import type { Session } from "./client.js";

export async function eachContainer(refs: string[], body: (s: Session, ref: string) => Promise<string | void>): Promise<number> {
  const [{ connect }, { write }, { toCliError }] = await Promise.all([import("./client.js"), import("./output.js"), import("./errors.js")]);
  const s = connect();
  let status = 0;
  for (const ref of refs) {
    try {
      const line = await body(s, ref);
      if (line !== undefined) await write(process.stdout, line + "\n");
    } catch (err) {
      const e = toCliError(err, s.url);
      if (e.code === "CONNECTION" || e.code === "UNAUTHORIZED" || e.code === "NO_CREDENTIALS") throw e;
      await write(process.stderr, `berth: ${e.message}\n`);
      status = 1;
    }
  }
  return status;
}
