/**
 * `container prune` and `system prune`, as Docker's: a warning and a [y/N] question unless -f,
 * then what went, kind by kind, and the space reclaimed.
 */
import type { Command } from "commander";
import { action } from "../action.js";

type Session = import("../client.js").Session;

/** Removes every container that is not running; returns the ids removed and their layers' bytes. */
async function pruneContainers(s: Session): Promise<{ removed: string[]; bytes: number; errors: string[] }> {
  const all = await s.api.container.list.query({ all: true });
  const stopped = all.filter((c) => c.state === "exited" || c.state === "created");
  if (!stopped.length) return { removed: [], bytes: 0, errors: [] };
  const sizes = (await s.api.image.df.query()).containers.sizes ?? {};
  const removed: string[] = [];
  const errors: string[] = [];
  let bytes = 0;
  for (const c of stopped) {
    try {
      await s.api.container.remove.mutate({ id: c.id, force: false, volumes: false });
      removed.push(c.id);
      bytes += sizes[c.id] ?? 0;
    } catch (err) {
      // Started again meanwhile, or removed by someone else: not ours to prune any more.
      errors.push(`${c.id.slice(0, 12)}: ${(err as Error).message}`);
    }
  }
  return { removed, bytes, errors };
}

const section = (title: string, lines: string[]) => (lines.length ? `${title}:\n${lines.map((l) => l + "\n").join("")}\n` : "");

export async function containerPrune(force: boolean): Promise<number> {
  const [{ confirm }, { connect }, { write }, { humanSize }] = await Promise.all([import("../confirm.js"), import("../client.js"), import("../output.js"), import("../format.js")]);
  if (!force && !(await confirm("WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] "))) return 0;
  const r = await pruneContainers(connect());
  await write(process.stdout, `${section("Deleted Containers", r.removed)}Total reclaimed space: ${humanSize(r.bytes)}\n`);
  for (const e of r.errors) await write(process.stderr, `berth: ${e}\n`);
  return 0;
}

export interface SystemPruneArgs {
  all: boolean;
  volumes: boolean;
  force: boolean;
}

export async function systemPrune(a: SystemPruneArgs): Promise<number> {
  const [{ confirm }, { connect }, { write }, { humanSize }] = await Promise.all([import("../confirm.js"), import("../client.js"), import("../output.js"), import("../format.js")]);
  if (!a.force) {
    const what = [
      "all stopped containers",
      "all networks not used by at least one container",
      ...(a.volumes ? ["all anonymous volumes not used by at least one container"] : []),
      a.all ? "all images without at least one container associated to them" : "all dangling images",
    ];
    if (!(await confirm(`WARNING! This will remove:\n${what.map((w) => `  - ${w}\n`).join("")}\nAre you sure you want to continue? [y/N] `))) return 0;
  }
  const s = connect();
  // Containers first: what they held (networks, volumes, images) is unused only once they are gone.
  const containers = await pruneContainers(s);
  const networks = await s.api.network.prune.mutate();
  const volumes = a.volumes ? await s.api.volume.prune.mutate({ all: false }) : { removed: [], spaceReclaimed: 0 };
  const images = await s.api.image.prune.mutate({ all: a.all });
  const imageLines = images.deleted.map((d) => (d.untagged ? `untagged: ${d.untagged}` : `deleted: ${d.deleted}`));
  const total = containers.bytes + volumes.spaceReclaimed + images.spaceReclaimed;
  await write(
    process.stdout,
    section("Deleted Containers", containers.removed) + section("Deleted Networks", networks) + section("Deleted Volumes", volumes.removed) + section("Deleted Images", imageLines) + `Total reclaimed space: ${humanSize(total)}\n`,
  );
  for (const e of containers.errors) await write(process.stderr, `berth: ${e}\n`);
  return 0;
}

export function registerContainerPrune(parent: Command): Command {
  return parent
    .command("prune")
    .description("Remove all stopped containers")
    .usage("[OPTIONS]")
    .option("-f, --force", "do not prompt for confirmation")
    .action(action("other", (o: { force?: boolean }) => containerPrune(!!o.force)));
}

export function registerSystemPrune(parent: Command): Command {
  return parent
    .command("prune")
    .description("Remove unused data: stopped containers, unused networks, dangling images (-a: all unused images), --volumes: anonymous volumes")
    .usage("[OPTIONS]")
    .option("-a, --all", "remove all unused images, not just dangling ones")
    .option("--volumes", "prune anonymous volumes")
    .option("-f, --force", "do not prompt for confirmation")
    .action(action("other", (o: { all?: boolean; volumes?: boolean; force?: boolean }) => systemPrune({ all: !!o.all, volumes: !!o.volumes, force: !!o.force })));
}
