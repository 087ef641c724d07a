import type { DevcontainerPlan, LifecycleHook } from "@berth/core/devcontainer";

interface Event {
  kind: string;
  name: string;
  status: string;
  service?: string;
}

/** The server refused the folder's bind mount (a member without a granted path): the message names the folder. */
export function bindRefused(err: unknown, plan: DevcontainerPlan): boolean {
  return plan.bound && (err as Error).message.includes(`bind mount of host path ${plan.folder}`);
}

export interface DevContainer {
  id: string;
  name: string;
}

/** What this `up` did to the dev container, from the converge's lines: created (or recreated), started from stopped, or neither. */
export function devContainerChange(plan: DevcontainerPlan, events: Event[]): "created" | "started" | "running" {
  const mine = events.filter((e) => e.kind === "Container" && e.service === plan.service);
  if (mine.some((e) => e.status === "Created" || e.status === "Recreated")) return "created";
  if (mine.some((e) => e.status === "Started" || e.status === "Restarted")) return "started";
  return "running";
}

/**
 * After `up` of a devcontainer.json stack, the spec's lifecycle in the dev container: when this up
 * created it, the folder is copied into its workspaceFolder (unless bind-mounted), then
 * onCreateCommand, updateContentCommand and postCreateCommand run once; postStartCommand runs when
 * it was created or started; postAttachCommand at every up. Each runs as remoteUser with remoteEnv
 * in the workspace, its output streamed; the object form's commands run in parallel; the first
 * failure stops the rest and names its hook.
 */
export async function afterDevUp(plan: DevcontainerPlan, events: Event[], o: { skipPostCreate?: boolean; skipPostAttach?: boolean } = {}): Promise<DevContainer> {
  const [{ connect }, { CliError }, { exec }] = await Promise.all([import("../client.js"), import("../errors.js"), import("./exec.js")]);
  const s = connect();
  const row = (await s.api.stack.ps.query({ name: plan.project.name })).find((r) => r.service === plan.service && r.number === 1);
  if (!row) throw new CliError("NOT_FOUND", `the dev container (service ${plan.service}) of stack ${plan.project.name} is not there after up`);
  const change = devContainerChange(plan, events);
  const env = await remoteEnvOf(plan, row.id);
  const run = async (cmd: string[], what: string, workdir?: string) => {
    const code = await exec({ container: row.id, cmd, interactive: false, tty: false, user: plan.remoteUser, workdir, env });
    if (code !== 0) throw new CliError("PRECONDITION_FAILED", `${what} failed in ${row.name} (exit code ${code})`);
  };
  if (change === "created" && plan.withWorkspace && !plan.bound) {
    process.stderr.write(` Container ${row.name}  Copying ${plan.folder} to ${plan.workspaceFolder}\n`);
    await run(["mkdir", "-p", plan.workspaceFolder], `mkdir -p ${plan.workspaceFolder}`);
    const { copyIn } = await import("./cp.js");
    await copyIn(`${plan.folder}/.`, row.id, plan.workspaceFolder);
  }
  const hooks: LifecycleHook[] = [];
  if (change === "created" && !o.skipPostCreate) hooks.push("onCreateCommand", "updateContentCommand", "postCreateCommand");
  if (change !== "running" && !o.skipPostCreate) hooks.push("postStartCommand");
  if (!o.skipPostCreate && !o.skipPostAttach) hooks.push("postAttachCommand");
  for (const hook of hooks) {
    const groups = plan.lifecycle[hook];
    if (!groups.length) continue;
    process.stderr.write(` Container ${row.name}  Running ${hook}\n`);
    // Features' commands first, then the file's; the object form's commands run in parallel (the spec's), their output interleaved.
    for (const steps of groups) await Promise.all(steps.map((st) => run(st.argv, st.name, plan.workspaceFolder)));
  }
  return { id: row.id, name: row.name };
}

/** The plan with the folder copied in instead of bind-mounted (a member without a granted path). */
export function unbound(plan: DevcontainerPlan): DevcontainerPlan {
  const svc = plan.project.services[plan.service]!;
  svc.volumes = svc.volumes.filter((v) => !(v.type === "bind" && v.source === plan.folder && v.target === plan.workspaceFolder));
  return { ...plan, bound: false };
}

/** remoteEnv as `KEY=value` for an exec in the dev container, ${containerEnv:…} read from the container's environment. */
export async function remoteEnvOf(plan: DevcontainerPlan, containerId: string): Promise<string[]> {
  const [{ connect }, { resolveRemoteEnv }] = await Promise.all([import("../client.js"), import("@berth/core/devcontainer")]);
  let own: string[] = [];
  if (Object.values(plan.remoteEnv).some((v) => v.includes("${containerEnv:"))) {
    const inspect = (await connect().api.container.inspect.query({ id: containerId })) as { Config?: { Env?: string[] } };
    own = inspect.Config?.Env ?? [];
  }
  return Object.entries(resolveRemoteEnv(plan.remoteEnv, own)).map(([k, v]) => `${k}=${v}`);
}
