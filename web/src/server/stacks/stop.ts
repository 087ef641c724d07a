import { InvalidArgument, type StackContainer, type StackEvent } from "@berth/core";
import { dependencyLevels, startOrder, type ComposeProject } from "@berth/core/compose";
import type { Services } from "../services.js";
import { stopContainer } from "../containers/lifecycle.js";
import { stackContainers } from "./containers.js";

/**
 * The stack's containers by dependency level (dependencies first; the services of one level do
 * not depend on each other), only `services` when given; services no longer in the file come last.
 */
export async function byStartOrder(s: Services, teamId: string, project: ComposeProject, services: string[] = []): Promise<StackContainer[][]> {
  for (const w of services) if (!project.services[w]) throw new InvalidArgument(`no such service: ${w}`);
  const all = await stackContainers(s, teamId, project.name);
  const order = startOrder(project, []);
  const wanted = (svc: string) => !services.length || services.includes(svc);
  const groups = dependencyLevels(project, order).map((level) => all.filter((c) => level.includes(c.service) && wanted(c.service)));
  const orphans = services.length ? [] : all.filter((c) => !project.services[c.service]);
  return [...groups, ...(orphans.length ? [orphans] : [])].filter((g) => g.length);
}

/**
 * `stop`: dependants before what they depend on (levels in reverse), the containers of one level
 * at once; each gets its stop signal (stop_signal) and SIGKILL only after its grace period
 * (stop_grace_period, default 10 s), as Compose stops.
 */
export async function stopGroups(s: Services, teamId: string, groups: StackContainer[][], emit: (e: StackEvent) => void): Promise<void> {
  for (const group of [...groups].reverse()) {
    await Promise.all(
      group.map(async (c) => {
        if (c.row.state !== "running" && c.row.state !== "restarting") return;
        await stopContainer(s, teamId, c.row.id);
        emit({ kind: "Container", name: c.row.name, status: "Stopped", service: c.service });
      }),
    );
  }
}
