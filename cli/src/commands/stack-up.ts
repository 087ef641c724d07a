import type { ComposeProject } from "@berth/core/compose";
import type { DevcontainerPlan } from "@berth/core/devcontainer";

export interface StackEvent {
  kind: string;
  name: string;
  status: string;
  service?: string;
  error?: string;
}

/** Compose's progress lines: ` Container shop-db-1  Started`. */
export function eventLines(events: StackEvent[]): string {
  return events.map((e) => ` ${e.kind} ${e.name}  ${e.status}${e.error ? `: ${e.error}` : ""}\n`).join("");
}

/**
 * `up` on the server: the images built (and a dev container's features installed), the project
 * sent, and the converge's lines printed as they come. A devcontainer folder whose bind mount the
 * server refuses (a member without a granted path) is copied in instead, and the user told so.
 * Returns every line of the converge and the plan as sent.
 */
export async function upAndFollow(project: ComposeProject, services: string[], o: { build: boolean; dev?: DevcontainerPlan | undefined }): Promise<{ events: StackEvent[]; dev?: DevcontainerPlan | undefined }> {
  const [{ connect }, { write }, { CliError }, { prepareBuilds }] = await Promise.all([import("../client.js"), import("../output.js"), import("../errors.js"), import("./stack-build.js")]);
  let dev = o.dev;
  await prepareBuilds(project, services, o.build);
  if (dev) await (await import("./dev-features.js")).prepareFeatures(dev);
  const s = connect();
  let runId: string;
  try {
    ({ runId } = await s.api.stack.up.mutate({ name: project.name, project, services, follow: true }));
  } catch (err) {
    const { bindRefused, unbound } = await import("./stack-dev.js");
    if (!dev || !bindRefused(err, dev)) throw err;
    dev = unbound(dev);
    process.stderr.write(`note: ${dev.folder} is copied into ${dev.workspaceFolder}, not bind-mounted: a bind of a host path needs the site admin, or a path the team was allowed (berth team allow-path); changes in the container stay there\n`);
    ({ runId } = await s.api.stack.up.mutate({ name: project.name, project: dev.project, services, follow: true }));
  }
  // The worker converges; its lines are printed as they come, as Compose prints them.
  const seen: StackEvent[] = [];
  let cursor: string | undefined;
  for (;;) {
    const p = await s.api.stack.progress.query({ name: project.name, runId, ...(cursor ? { cursor } : {}) });
    seen.push(...p.events);
    await write(process.stderr, eventLines(p.events));
    cursor = p.cursor;
    if (p.end && !p.end.ok) throw new CliError("PRECONDITION_FAILED", p.end.message);
    // The server holds each read until a line comes (or 2 s): no pause between reads.
    if (p.end) break;
  }
  return { events: seen, dev };
}
