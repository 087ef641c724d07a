/**
 * The names a start-first replica answers to on the stack's networks. A service's new replica
 * starts without its service's names (only its own container name), so its peers keep reaching
 * the old one while it starts; once it is ready the names move to it from the old one in one
 * step per network, and only then does the old one stop. Used for environment releases, where
 * other services reach a stateless service by its name while it is replaced.
 */
import { ContainerOptions, type ConfiguredNetwork } from "@berth/core";
import type { Services } from "../services.js";
import type { RunRequest } from "../containers/run.js";
import { networkJob } from "../networks/jobs.js";
import { rawOptions } from "../networks/configured.js";
import type { StackContainer } from "./containers.js";

/** The same replica, answering to none of its service's names yet (its networks' aliases empty). */
export function withoutNames<R extends RunRequest>(req: R): R {
  const networks = req.options?.networks;
  if (!networks?.length) return req;
  return { ...req, options: { ...req.options, networks: networks.map((n) => ({ ...n, aliases: [] })) } };
}

/** The networks and names the service's replicas answer to (from its run request). */
export function namesOf(req: RunRequest): ConfiguredNetwork[] {
  return req.options?.networks ?? [];
}

/**
 * Gives `keep` its service's names on each network and takes them from the running `olds` there,
 * in one step per network; `keep`'s stored networks then carry the names, so a restart keeps them.
 */
export async function moveNames(s: Services, teamId: string, keep: StackContainer, olds: StackContainer[], names: ConfiguredNetwork[]): Promise<void> {
  if (!names.length) return;
  const running = olds.filter((c) => c.row.state === "running" && c.row.id !== keep.row.id);
  for (const n of names) {
    const set = [{ containerId: keep.row.id, aliases: n.aliases }, ...running.map((c) => ({ containerId: c.row.id, aliases: [] }))];
    await networkJob(s, { op: "aliases", teamId, network: n.name, set }, keep.row.hostId);
  }
  const row = await s.db.container.findUniqueOrThrow({ where: { id: keep.row.id } });
  const opts = ContainerOptions.parse(rawOptions(row));
  const wanted = new Map(names.map((n) => [n.name, n.aliases]));
  const networks = (opts.networks ?? names).map((n) => ({ ...n, aliases: wanted.get(n.name) ?? n.aliases }));
  await s.db.container.update({ where: { id: row.id }, data: { options: JSON.stringify({ ...rawOptions(row), networks }) } });
}
