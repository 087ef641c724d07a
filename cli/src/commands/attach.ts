import type { Command } from "commander";
import { action } from "../action.js";

export interface AttachArgs {
  container: string;
  /** Relay our stdin (default: when the container was created with -i). */
  noStdin: boolean;
  /** Forward Ctrl-C (SIGINT) to the container; default true (a tty container gets the key itself). */
  sigProxy: boolean;
}

/**
 * `berth attach`: this terminal on a running container's stdio — its output from now on, our
 * stdin if it was created with -i, and its exit code at the end. With a tty: raw mode, resize, and
 * Ctrl-P Ctrl-Q detaches (quietly; the container runs on).
 */
export async function attach(a: AttachArgs): Promise<number> {
  const [{ connect }, { runTerminal }, { CliError }, { detachFilter }, { write }] = await Promise.all([
    import("../client.js"),
    import("../terminal.js"),
    import("../errors.js"),
    import("../detach-keys.js"),
    import("../output.js"),
  ]);
  const s = connect();
  const info = (await s.api.container.inspect.query({ id: a.container })) as { Id: string; State: { Running: boolean }; Config: { Tty: boolean; OpenStdin: boolean } };
  if (!info.State.Running) throw new CliError("PRECONDITION_FAILED", "You cannot attach to a stopped container, start it first");
  const tty = info.Config.Tty;
  const interactive = info.Config.OpenStdin && !a.noStdin;
  let onSigint: (() => void) | undefined;
  if (a.sigProxy && !tty) {
    // Ctrl-C is the container's: it gets SIGINT, and we stay attached until it exits.
    onSigint = () => void s.api.container.kill.mutate({ id: info.Id, signal: "INT" }).catch(() => undefined);
    process.on("SIGINT", onSigint);
  }
  try {
    const r = await runTerminal(s, {
      event: "attach:start",
      payload: { containerId: info.Id },
      tty,
      interactive,
      ...(tty && interactive ? { input: detachFilter() } : {}),
    });
    if (r.detached) return 0;
    if (r.error) await write(process.stderr, `berth: ${r.error}\n`);
    return r.exitCode ?? 1;
  } finally {
    if (onSigint) process.off("SIGINT", onSigint);
  }
}

export function register(program: Command, handler: (a: AttachArgs) => Promise<number | void> = attach): Command {
  return program
    .command("attach")
    .description("Attach local standard input, output, and error streams to a running container")
    .usage("[OPTIONS] CONTAINER")
    .option("--no-stdin", "do not attach STDIN")
    .option("--sig-proxy <bool>", "proxy received signals to the process (non-TTY mode only)", "true")
    .argument("<container>", "container id, id prefix or name")
    .action(
      action("other", (container: string, opts: { stdin: boolean; sigProxy: string }) =>
        handler({ container, noStdin: opts.stdin === false, sigProxy: !/^(false|0|no)$/i.test(String(opts.sigProxy)) }),
      ),
    );
}
