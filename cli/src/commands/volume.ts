import type { Command } from "commander";
import { action } from "../action.js";
import { confirm } from "../confirm.js";

async function deps() {
  const [{ connect }, { write }, { CliError }] = await Promise.all([import("../client.js"), import("../output.js"), import("../errors.js")]);
  return { s: connect(), write, CliError };
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** `volume ls --filter`: dangling=true|false, name=…, label=…. */
export function parseVolumeFilters(filters: string[]): { dangling?: boolean; name?: string[]; label?: string[] } {
  const out: { dangling?: boolean; name?: string[]; label?: string[] } = {};
  for (const f of filters) {
    const eq = f.indexOf("=");
    const key = eq < 0 ? f : f.slice(0, eq);
    const value = eq < 0 ? "" : f.slice(eq + 1);
    if (key === "dangling") {
      if (!/^(true|false|1|0)$/.test(value)) throw new Error(`invalid filter 'dangling=${value}': use dangling=true or dangling=false`);
      out.dangling = value === "true" || value === "1";
    } else if (key === "name") (out.name ??= []).push(value);
    else if (key === "label") (out.label ??= []).push(value);
    else throw new Error(`invalid filter '${key}': use dangling, name or label`);
  }
  return out;
}

/** `docker volume …`: create, ls, inspect, rm, prune. */
export function register(program: Command): Command {
  const volume = program.command("volume").description("Manage volumes").usage("COMMAND");

  volume
    .command("create")
    .description("Create a volume")
    .usage("[OPTIONS] [VOLUME]")
    .option("--label <key=value>", "set metadata for a volume (repeatable)", collect, [] as string[])
    .option("-d, --driver <name>", "volume driver name (only local)", "local")
    .option("--from <volume>", "start as a copy-on-write snapshot of this volume of the team (instant, whatever its size)")
    .argument("[name]", "volume name (default: a random one)")
    .action(
      action("other", async (name: string | undefined, opts: { label: string[]; driver: string; from?: string }) => {
        const { s, write, CliError } = await deps();
        if (opts.driver !== "local") throw new CliError("USAGE", `volume driver "${opts.driver}" is not supported: only local`);
        const labels = Object.fromEntries(opts.label.map((l) => [l.split("=", 1)[0]!, l.includes("=") ? l.slice(l.indexOf("=") + 1) : ""]));
        const v = await s.api.volume.create.mutate({ ...(name ? { name } : {}), labels, ...(opts.from ? { from: opts.from } : {}) });
        await write(process.stdout, `${v.Name}\n`);
      }),
    );

  volume
    .command("ls")
    .alias("list")
    .description("List volumes")
    .option("-q, --quiet", "only display volume names")
    .option("-f, --filter <filter>", "filter output: dangling=true, name=…, label=… (repeatable)", collect, [] as string[])
    .action(
      action("other", async (opts: { quiet?: boolean; filter: string[] }) => {
        const { s, write, CliError } = await deps();
        let filters;
        try {
          filters = parseVolumeFilters(opts.filter);
        } catch (e) {
          throw new CliError("USAGE", (e as Error).message);
        }
        const vols = await s.api.volume.list.query(filters);
        if (opts.quiet) return void (await write(process.stdout, vols.map((v) => `${v.Name}\n`).join("")));
        const { table } = await import("../format.js");
        await write(process.stdout, table(["DRIVER", "VOLUME NAME"], vols.map((v) => [v.Driver, v.Name])));
      }),
    );

  volume
    .command("inspect")
    .description("Display detailed information on one or more volumes")
    .option("-f, --format <template>", "format the output using the given Go template (or json)")
    .argument("<volume...>", "volume names")
    .action(
      action("other", async (names: string[], opts: { format?: string }) => {
        if (opts.format !== undefined) return (await import("./inspect.js")).inspect({ containers: names, format: opts.format, type: "volume" });
        const { s, write } = await deps();
        const vols = await s.api.volume.inspect.query({ names });
        await write(process.stdout, JSON.stringify(vols, null, 4) + "\n");
      }),
    );

  volume
    .command("rm")
    .alias("remove")
    .description("Remove one or more volumes")
    .option("-f, --force", "do not fail on a volume that does not exist")
    .argument("<volume...>", "volume names")
    .action(
      action("other", async (names: string[], opts: { force?: boolean }) => {
        const { s, write } = await deps();
        const r = await s.api.volume.remove.mutate({ names, force: !!opts.force });
        for (const n of r.removed) await write(process.stdout, `${n}\n`);
        for (const e of r.errors) await write(process.stderr, `Error response from daemon: ${e.message}\n`);
        return r.errors.length ? 1 : 0;
      }),
    );

  volume
    .command("prune")
    .description("Remove unused anonymous volumes (-a: all unused volumes)")
    .option("-a, --all", "remove all unused volumes, not just anonymous ones")
    .option("-f, --force", "do not prompt for confirmation")
    .action(
      action("other", async (opts: { all?: boolean; force?: boolean }) => {
        if (!opts.force) {
          const what = opts.all ? "all local volumes" : "anonymous local volumes";
          if (!(await confirm(`WARNING! This will remove ${what} not used by at least one container.\nAre you sure you want to continue? [y/N] `))) return;
        }
        const { s, write } = await deps();
        const { humanSize } = await import("../format.js");
        const r = await s.api.volume.prune.mutate({ all: !!opts.all });
        const list = r.removed.length ? `Deleted Volumes:\n${r.removed.map((n) => `${n}\n`).join("")}\n` : "";
        await write(process.stdout, `${list}Total reclaimed space: ${humanSize(r.spaceReclaimed)}\n`);
      }),
    );
  return volume;
}
