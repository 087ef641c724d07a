import type { DevcontainerPlan, LifecycleCommand } from "@berth/core/devcontainer";

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

function argvOf(c: string | string[]): string[] {
  return typeof c === "string" ? ["/bin/sh", "-c", c] : c;
}

/**
 * After `up` of a devcontainer.json stack: when the dev container was (re)created by this up, the
 * folder is copied into its workspaceFolder (unless it is bind-mounted there), then
 * postCreateCommand runs once in it, its output streamed; a failure is the command's.
 */
export async function afterDevUp(plan: DevcontainerPlan, events: Event[]): Promise<void> {
  const [{ connect }, { CliError }, { exec }] = await Promise.all([import("../client.js"), import("../errors.js"), import("./exec.js")]);
  const created = events.some((e) => e.kind === "Container" && e.service === plan.service && (e.status === "Created" || e.status === "Recreated"));
  if (!created) return;
  const s = connect();
  const row = (await s.api.stack.ps.query({ name: plan.project.name })).find((r) => r.service === plan.service && r.number === 1);
  if (!row) throw new CliError("NOT_FOUND", `the dev container (service ${plan.service}) of stack ${plan.project.name} is not there after up`);
  const run = async (cmd: string[], what: string) => {
    const code = await exec({ container: row.id, cmd, interactive: false, tty: false, user: plan.remoteUser, workdir: undefined, env: Object.entries(plan.remoteEnv).map(([k, v]) => `${k}=${v}`) });
    if (code !== 0) throw new CliError("PRECONDITION_FAILED", `${what} failed in ${row.name} (exit code ${code})`);
  };
  if (!plan.bound) {
    process.stderr.write(` Container ${row.name}  Copying ${plan.folder} to ${plan.workspaceFolder}\n`);
    await run(["mkdir", "-p", plan.workspaceFolder], `mkdir -p ${plan.workspaceFolder}`);
    const { copyIn } = await import("./cp.js");
    await copyIn(`${plan.folder}/.`, row.id, plan.workspaceFolder);
  }
  const post: LifecycleCommand | undefined = plan.postCreateCommand;
  if (post === undefined) return;
  process.stderr.write(` Container ${row.name}  Running postCreateCommand\n`);
  // The object form names commands that run in parallel (the spec's); their output interleaves.
  const cmds = typeof post === "object" && !Array.isArray(post) ? Object.entries(post) : [["postCreateCommand", post] as const];
  await Promise.all(cmds.map(([name, c]) => run(["/bin/sh", "-c", `cd ${JSON.stringify(plan.workspaceFolder)} && exec "$@"`, "sh", ...argvOf(c)], name === "postCreateCommand" ? "postCreateCommand" : `postCreateCommand ${name}`)));
}
