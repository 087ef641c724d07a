import type { Command } from "commander";
import { action } from "../action.js";
import { F_FLAG, F_HELP, P_FLAG, P_HELP, collect } from "./stack-flags.js";
import { registerStackOps, type SubFlags } from "./stack-ops.js";

interface ProjectFlags {
  file: string[];
  projectName?: string;
  profile: string[];
  envFile: string[];
}

/**
 * The folder's devcontainer.json as a stack, when no compose file is named or found here (a file
 * named with -f always wins). `bind`: the folder bind-mounted as the workspace (else copied in).
 */
async function loadDev(flags: ProjectFlags, bind: boolean) {
  const [{ findDevcontainer, loadDevcontainer }, { DEFAULT_FILES }, fs, path, { CliError }] = await Promise.all([
    import("@berth/core/devcontainer"),
    import("@berth/core/compose"),
    import("node:fs"),
    import("node:path"),
    import("../errors.js"),
  ]);
  const cwd = process.cwd();
  if (flags.file.length || DEFAULT_FILES.some((f) => fs.existsSync(path.join(cwd, f))) || !findDevcontainer(cwd)) return undefined;
  try {
    return loadDevcontainer({ folder: cwd, env: process.env, bindWorkspace: bind, ...(flags.projectName ? { projectName: flags.projectName } : {}) });
  } catch (err) {
    throw new CliError("USAGE", (err as Error).message);
  }
}

/** Reads the compose files as `docker compose` does from the flags every `stack` command shares. */
async function loadProject(flags: ProjectFlags, services: string[]) {
  const [{ loadCompose }, { CliError }] = await Promise.all([import("@berth/core/compose"), import("../errors.js")]);
  const dev = await loadDev(flags, true);
  if (dev) return dev.project;
  try {
    return loadCompose({
      cwd: process.cwd(),
      env: process.env,
      ...(flags.file.length ? { files: flags.file } : {}),
      ...(flags.projectName ? { projectName: flags.projectName } : {}),
      profiles: flags.profile,
      services,
      ...(flags.envFile.length ? { envFiles: flags.envFile } : {}),
    });
  } catch (err) {
    // A bad file is the user's to fix: a usage error (125), not a crash.
    throw new CliError("USAGE", (err as Error).message);
  }
}

/**
 * The project from the compose file; with a name (-p) and no file here, the one the server
 * keeps for that stack, so a teammate reads it without the repository.
 */
async function localOrStored(flags: ProjectFlags, services: string[]) {
  try {
    return await loadProject(flags, services);
  } catch (err) {
    const name = flags.projectName ?? process.env.COMPOSE_PROJECT_NAME;
    if (!name || flags.file.length || !/^no compose file here/.test((err as Error).message)) throw err;
    const { connect } = await import("../client.js");
    return { ...(await connect().api.stack.config.query({ name })), warnings: [] };
  }
}

/** `berth stack …`: dev stacks from compose files (Compose v2's verbs). */
export function register(program: Command): Command {
  const stack = program
    .command("stack")
    .description("Manage dev stacks from compose files")
    .usage("[OPTIONS] COMMAND")
    .option("-f, --file <file>", "compose file (repeatable; later files override earlier ones)", collect, [] as string[])
    .option("-p, --project-name <name>", "stack name (default: the directory's name)")
    .option("--profile <profile>", "enable a profile (repeatable)", collect, [] as string[])
    .option("--env-file <file>", "environment file (repeatable; default: .env beside the compose file)", collect, [] as string[]);

  // -p and -f after the subcommand (`stack ps -p NAME`) as well as before it, as Compose takes them.
  const flags = (over: SubFlags = {}): ProjectFlags => {
    const top = stack.opts<ProjectFlags>();
    return { ...top, ...(over.projectName ? { projectName: over.projectName } : {}), file: [...top.file, ...(over.file ?? [])] };
  };

  stack
    .command("config")
    .description("Print the stack's compose file, merged, interpolated and in long syntax")
    .usage("[OPTIONS] [SERVICE...]")
    .option("--format <format>", "yaml or json", "yaml")
    .option("-q, --quiet", "only check the file; print nothing but errors")
    .option("--services", "print the service names, one per line")
    .option("--volumes", "print the volume names, one per line")
    .option(P_FLAG, P_HELP)
    .option(F_FLAG, F_HELP, collect, [] as string[])
    .argument("[services...]", "only these services")
    .action(
      action("other", async (services: string[], opts: { format: string; quiet?: boolean; services?: boolean; volumes?: boolean } & SubFlags) => {
        const [{ write }, { CliError }, { toComposeYaml, toComposeDocument }] = await Promise.all([import("../output.js"), import("../errors.js"), import("@berth/core/compose")]);
        if (!["yaml", "json"].includes(opts.format)) throw new CliError("USAGE", `unknown format "${opts.format}": use yaml or json`);
        const project = await localOrStored(flags(opts), services);
        for (const w of project.warnings) process.stderr.write(`warning: ${w.where}: ${w.message}\n`);
        if (services.length) for (const name of Object.keys(project.services)) if (!services.includes(name)) delete project.services[name];
        if (opts.quiet) return;
        if (opts.services) return write(process.stdout, Object.keys(project.services).map((s) => `${s}\n`).join(""));
        if (opts.volumes) return write(process.stdout, Object.keys(project.volumes).map((s) => `${s}\n`).join(""));
        await write(process.stdout, opts.format === "json" ? `${JSON.stringify(toComposeDocument(project), null, 2)}\n` : toComposeYaml(project));
      }),
    );
  registerStackOps(stack, {
    load: (services, over) => loadProject(flags(over), services),
    dev: (over, bind) => loadDev(flags(over), bind),
    async name(over) {
      const f = flags(over);
      // -p (or COMPOSE_PROJECT_NAME) names the stack with no file at hand: a teammate's machine.
      const explicit = f.projectName ?? process.env.COMPOSE_PROJECT_NAME;
      if (explicit) return explicit;
      return (await loadProject(f, [])).name;
    },
  });
  return stack;
}
