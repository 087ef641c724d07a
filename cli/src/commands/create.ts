import type { Command } from "commander";
import { action } from "../action.js";
import { runFlags, type RunFlags } from "./run.js";

export interface CreateArgs {
  image: string;
  cmd: string[];
  rm: boolean;
  name: string | undefined;
  flags?: RunFlags;
}

/** As `run -d`, but nothing starts: prints the new container's id (state created). */
export async function create(a: CreateArgs): Promise<void> {
  const [{ connect }, { write }, { toOptions, pullPolicy, withPull }] = await Promise.all([import("../client.js"), import("../output.js"), import("./run.js")]);
  await pullPolicy(a.flags?.pull);
  const options = await toOptions(a.flags);
  const s = connect();
  const { id } = await withPull(a.image, a.flags?.pull, () => s.api.container.create.mutate({
    image: a.image,
    ...(a.cmd.length ? { cmd: a.cmd } : {}),
    ...(a.name !== undefined ? { name: a.name } : {}),
    ...(a.rm ? { autoRemove: true } : {}),
    ...(Object.keys(options).length ? { options } : {}),
  }));
  await write(process.stdout, id + "\n");
}

export function register(program: Command, handler: (a: CreateArgs) => Promise<number | void> = create): Command {
  // Berth's own failures exit 125, as run's do (docker create).
  return runFlags(program.command("create").description("Create a new container").usage("[OPTIONS] IMAGE [COMMAND] [ARG...]"))
    .argument("<image>", "image (name[:tag], id or id prefix)")
    .argument("[command...]", "command and arguments for the container (everything after IMAGE)")
    .passThroughOptions()
    .action(
      action("run", (image: string, cmd: string[], opts: { rm?: boolean; name?: string } & RunFlags) => {
        const { rm, name, ...flags } = opts;
        return handler({ image, cmd, rm: !!rm, name, flags });
      }),
    );
}
