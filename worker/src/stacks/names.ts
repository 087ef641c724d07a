/**
 * The names a start-first replica answers to on the stack's networks. A service's new replica
 * starts without its service's names (only its own container name), so its peers keep reaching
 * the old one while it starts; once it is ready the names move to it from the old one in one
 * step per network, and only then does the old one stop. Used for environment releases, where
 * other services reach a stateless service by its name while it is replaced.
 */
import { ContainerOptions, type ConfiguredNetwork, type StackContainer } from "@berth/core";
import type { ServiceRun } from "@berth/core/compose";
import type { PrismaClient } from "@berth/core/db";
import type { StackHost } from "./host.js";

/** The same replica, answering to none of its service's names yet (its networks' aliases empty). */
export function withoutNames(plan: ServiceRun): ServiceRun {
  const networks = plan.options.networks;
  if (!networks?.length) return plan;
  return { ...plan, options: { ...plan.options, networks: networks.map((n) => ({ ...n, aliases: [] })) } };
}

/** The networks and names the service's replicas answer to (from its plan). */
export const namesOf = (plan: ServiceRun): ConfiguredNetwork[] => plan.options.networks ?? [];

/**
 * Gives `keep` its service's names on each network and takes them from the running `olds` there,
 * in one step per network; `keep`'s stored networks then carry the names, so a restart keeps them.
 */
export async function moveNames(d: { db: PrismaClient; host: StackHost }, teamId: string, keep: StackContainer, olds: StackContainer[], names: ConfiguredNetwork[]): Promise<void> {
  if (!names.length) return;
  const running = olds.filter((c) => c.row.state === "running" && c.row.id !== keep.row.id);
  for (const n of names) await d.host.setAliases(teamId, n.name, [{ containerId: keep.row.id, aliases: n.aliases }, ...running.map((c) => ({ containerId: c.row.id, aliases: [] }))]);
  const row = await d.db.container.findUniqueOrThrow({ where: { id: keep.row.id } });
  const raw = JSON.parse(row.options || "{}") as Record<string, unknown>;
  const opts = ContainerOptions.parse(raw);
  const wanted = new Map(names.map((n) => [n.name, n.aliases]));
  const networks = (opts.networks ?? names).map((n) => ({ ...n, aliases: wanted.get(n.name) ?? n.aliases }));
  await d.db.container.update({ where: { id: row.id }, data: { options: JSON.stringify({ ...raw, networks }) } });
}
