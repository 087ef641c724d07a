import type { Command } from "commander";
import type { DevcontainerPlan } from "@berth/core/devcontainer";
import { action } from "../action.js";

interface DirFlags {
  workspaceFolder?: string;
  projectName?: string;
}

/** The folder: --workspace-folder (the reference CLI's flag), else DIR, else here. */
async function folderOf(dir: string | undefined, flags: DirFlags): Promise<string> {
  const path = await import("node:path");
  return path.resolve(flags.workspaceFolder ?? dir ?? ".");
}

/** The folder's devcontainer.json read as a stack (named -p, else after the folder, as `stack up` names it). */
async function plan(folder: string, flags: DirFlags, bind: boolean): Promise<DevcontainerPlan> {
  const [{ loadDevcontainer }, { CliError }] = await Promise.all([import("@berth/core/devcontainer"), import("../errors.js")]);
  try {
    return loadDevcontainer({ folder, env: process.env, bindWorkspace: bind, ...(flags.projectName ? { projectName: flags.projectName } : {}) });
  } catch (err) {
    throw new CliError("USAGE", (err as Error).message);
  }
}

/** The dev container's row (service number 1) of the folder's stack. */
async function devContainer(p: DevcontainerPlan) {
  const [{ connect }, { CliError }] = await Promise.all([import("../client.js"), import("../errors.js")]);
  const rows = await connect().api.stack.ps.query({ name: p.project.name });
  const row = rows.find((r) => r.service === p.service && r.number === 1);
  if (!row) throw new CliError("NOT_FOUND", `the dev container of ${p.folder} is not up (stack ${p.project.name} has no ${p.service} container): run \`berth dev up ${p.folder}\``);
  return row;
}

const dirOption = (c: Command) =>
  c.option("--workspace-folder <dir>", "the folder with .devcontainer/devcontainer.json or .devcontainer.json (as the devcontainer CLI takes it)").option("-p, --project-name <name>", "stack name (default: the folder's name)");

/**
 * `berth dev up|exec|down|read-configuration`: a folder's devcontainer.json as the reference
 * devcontainer CLI runs it, on Berth (a stack named after the folder, so `berth stack …` sees it
 * too). `up` ends with the reference's JSON line on stdout; its progress goes to stderr.
 */
export function register(program: Command): Command {
  const dev = program.command("dev").description("Dev containers from a folder's devcontainer.json (containers.dev)").usage("COMMAND");

  dirOption(
    dev
      .command("up")
      .description("Create and start the folder's dev container (with its features), run its lifecycle commands, forward its ports as links")
      .argument("[dir]", "the folder (default: here)")
      .option("--build", "rebuild the image of a build: dev container even when the team already has it")
      .option("--remove-existing-container", "remove the dev container first, so it is created afresh")
      .option("--skip-post-create", "run no lifecycle command")
      .option("--skip-post-attach", "do not run postAttachCommand"),
  ).action(
    action("other", async (dir: string | undefined, opts: DirFlags & { build?: boolean; removeExistingContainer?: boolean; skipPostCreate?: boolean; skipPostAttach?: boolean }) => {
      const [{ devUp }, { initializeSteps }, { CliError }] = await Promise.all([import("./dev-up.js"), import("@berth/core/devcontainer"), import("../errors.js")]);
      const folder = await folderOf(dir, opts);
      const initialize = async () => {
        try {
          return initializeSteps({ folder, env: process.env });
        } catch (err) {
          throw new CliError("USAGE", (err as Error).message);
        }
      };
      return devUp(folder, initialize, () => plan(folder, opts, true), opts);
    }),
  );

  dirOption(
    dev
      .command("exec")
      .description("Run a command in the folder's dev container, as remoteUser with remoteEnv, in workspaceFolder")
      .usage("[OPTIONS] [DIR] COMMAND [ARG...]")
      .argument("<args...>", "[DIR] then the command and its arguments")
      .option("-T, --no-tty", "do not allocate a pseudo-TTY (the default when stdin is one)")
      .passThroughOptions(),
  ).action(
    action("other", async (args: string[], opts: DirFlags & { tty: boolean }) => {
      const [{ findDevcontainer }, fs, { CliError }] = await Promise.all([import("@berth/core/devcontainer"), import("node:fs"), import("../errors.js")]);
      // A first argument that is a folder with a devcontainer.json is DIR (and a command follows).
      let dir: string | undefined;
      if (!opts.workspaceFolder && args.length > 1 && fs.statSync(args[0]!, { throwIfNoEntry: false })?.isDirectory() && findDevcontainer(args[0]!)) dir = args.shift();
      if (!args.length) throw new CliError("USAGE", "give the command to run: berth dev exec [DIR] COMMAND [ARG...]");
      const p = await plan(await folderOf(dir, opts), opts, false);
      const row = await devContainer(p);
      const [{ exec }, { remoteEnvOf }] = await Promise.all([import("./exec.js"), import("./stack-dev.js")]);
      return exec({ container: row.id, cmd: args, interactive: true, tty: opts.tty && !!process.stdin.isTTY, user: p.remoteUser, workdir: p.workspaceFolder, env: await remoteEnvOf(p, row.id) });
    }),
  );

  dirOption(
    dev
      .command("down")
      .description("Stop and remove the folder's dev container and the rest of its stack")
      .argument("[dir]", "the folder (default: here)")
      .option("-v, --volumes", "also remove the stack's named volumes"),
  ).action(
    action("other", async (dir: string | undefined, opts: DirFlags & { volumes?: boolean }) => {
      const [{ connect }, { write }, { eventLines }] = await Promise.all([import("../client.js"), import("../output.js"), import("./stack-up.js")]);
      const p = await plan(await folderOf(dir, opts), opts, false);
      const events = await connect().api.stack.down.mutate({ name: p.project.name, volumes: !!opts.volumes });
      await write(process.stderr, eventLines(events));
    }),
  );

  dirOption(
    dev
      .command("read-configuration")
      .description("Print the folder's devcontainer.json as Berth reads it (variables substituted; lifecycle commands merged with local features'), as JSON")
      .argument("[dir]", "the folder (default: here)"),
  ).action(
    action("other", async (dir: string | undefined, opts: DirFlags) => {
      const [{ write }, { mergedConfiguration }] = await Promise.all([import("../output.js"), import("@berth/core/devcontainer")]);
      const p = await plan(await folderOf(dir, opts), opts, false);
      for (const w of p.project.warnings) process.stderr.write(`warning: ${w.where}: ${w.message}\n`);
      // The reference CLI's shape: configuration as read, workspace, and (with this Berth's lists of commands) mergedConfiguration.
      await write(process.stdout, `${JSON.stringify({ configuration: p.configuration, workspace: { workspaceFolder: p.workspaceFolder, stack: p.project.name, service: p.service }, mergedConfiguration: mergedConfiguration(p) })}\n`);
    }),
  );
  return dev;
}
