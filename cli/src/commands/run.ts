import type { Command } from "commander";
import { action } from "../action.js";

export interface RunArgs {
  image: string;
  cmd: string[];
  rm: boolean;
  name: string | undefined;
  detach: boolean;
}

export async function run(a: RunArgs): Promise<number> {
  const [{ connect, followLogs, loadSocketIo }, { LineWriter, write }] = await Promise.all([import("../client.js"), import("../output.js")]);
  const s = connect();
  if (!a.detach) void loadSocketIo().catch(() => {}); // while the server creates the container
  const { id } = await s.api.container.run({
    image: a.image,
    ...(a.cmd.length ? { cmd: a.cmd } : {}),
    ...(a.name !== undefined ? { name: a.name } : {}),
    ...(a.rm ? { autoRemove: true } : {}),
  });
  if (a.detach) {
    await write(process.stdout, id + "\n");
    return 0;
  }
  const out = new LineWriter();
  const exit = await followLogs(s, id, (e) => out.line(e.stream, e.line)).finally(() => out.flush());
  // The container's own exit code is ours; 125 when it never produced one (docker's "berth failed").
  if (exit.error) await write(process.stderr, `berth: ${exit.error}\n`);
  return exit.exitCode ?? 125;
}

export function register(program: Command, handler: (a: RunArgs) => Promise<number | void> = run): Command {
  return program
    .command("run")
    .description("Create and run a new container from an image")
    .usage("[OPTIONS] IMAGE [COMMAND] [ARG...]")
    .option("--rm", "automatically remove the container when it exits")
    .option("--name <name>", "assign a name to the container")
    .option("-d, --detach", "run the container in the background and print its ID")
    .argument("<image>", "image to run (name[:tag], id or id prefix)")
    .argument("[command...]", "command and arguments for the container (everything after IMAGE)")
    // Everything after IMAGE belongs to the container: `berth run busybox ls -la`.
    .passThroughOptions()
    .action(
      action("run", (image: string, cmd: string[], opts: { rm?: boolean; name?: string; detach?: boolean }) =>
        handler({ image, cmd, rm: !!opts.rm, name: opts.name, detach: !!opts.detach }),
      ),
    );
}
