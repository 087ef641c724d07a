import { InvalidArgument, type StackContainer, type StackEvent } from "@berth/core";
import { startOrder, type ComposeProject } from "@berth/core/compose";
import type { Services } from "../services.js";
import { stopContainer } from "../containers/lifecycle.js";
import { stackContainers } from "./containers.js";

/**
 * The stack's containers by service in dependency order (dependencies first), only `services`
 * when given; services no longer in the file come last, as Compose treats orphans.
 */
export async function byStartOrder(s: Services, teamId: string, project: ComposeProject, services: string[] = []): Promise<StackContainer[][]> {
  for (const w of services) if (!project.services[w]) throw new InvalidArgument(`no such service: ${w}`);
  const all = await stackContainers(s, teamId, project.name);
  const order = startOrder(project, []);
  const wanted = (svc: string) => !services.length || services.includes(svc);
  const groups = order.filter(wanted).map((svc) => all.filter((c) => c.service === svc));
  const orphans = services.length ? [] : all.filter((c) => !project.services[c.service]);
  return [...groups, ...(orphans.length ? [orphans] : [])].filter((g) => g.length);
}

/**
 * `stop`: dependants before what they depend on (reverse start order), a service's replicas at
 * once; each container gets its stop signal (stop_signal) and SIGKILL only after its grace period
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
