import { FailedPrecondition, type StackEvent } from "@berth/core";
import { scopedName, type ComposeProject } from "@berth/core/compose";
import type { Services } from "../services.js";
import { removeContainer } from "../containers/lifecycle.js";
import { removeAnonymousVolumes, removeVolumes } from "../volumes/service.js";
import { stackContainers } from "./containers.js";
import { removeNetwork } from "./resources.js";
import { byStartOrder, stopGroups } from "./stop.js";

export type { StackEvent };

/**
 * `down`: the stack's containers stopped as `stop` stops them (dependants first, each with its
 * stop_grace_period before SIGKILL), then removed; then its networks, and with `volumes` its named
 * and anonymous volumes.
 */
export async function teardown(s: Services, teamId: string, project: ComposeProject, volumes: boolean, emit: (e: StackEvent) => void): Promise<void> {
  await stopGroups(s, teamId, await byStartOrder(s, teamId, project), emit);
  for (const c of await stackContainers(s, teamId, project.name)) {
    await removeContainer(s, teamId, c.row.id, true);
    if (volumes) await removeAnonymousVolumes(s, c.row);
    emit({ kind: "Container", name: c.row.name, status: "Removed", service: c.service });
  }
  const nets = new Set(["default", ...Object.keys(project.networks)]);
  for (const key of [...nets].sort()) {
    const decl = project.networks[key];
    if (decl?.external) continue;
    const name = scopedName(project.name, key, decl?.name);
    if (await removeNetwork(s, teamId, name)) emit({ kind: "Network", name, status: "Removed" });
  }
  if (!volumes) return;
  for (const [key, decl] of Object.entries(project.volumes).sort(([a], [b]) => a.localeCompare(b))) {
    if (decl.external) continue;
    const name = scopedName(project.name, key, decl.name);
    const r = await removeVolumes(s, teamId, [name], true);
    if (r.errors.length) throw new FailedPrecondition(`volume ${name}: ${r.errors[0]!.message}`);
    if (r.removed.length) emit({ kind: "Volume", name, status: "Removed" });
  }
}
