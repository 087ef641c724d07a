import type { DevcontainerPlan, LifecycleStep } from "@berth/core/devcontainer";

export interface DevUpFlags {
  build?: boolean;
  removeExistingContainer?: boolean;
  skipPostCreate?: boolean;
  skipPostAttach?: boolean;
}

/**
 * initializeCommand, on this machine: the devcontainer spec's "host" is the one running `dev up`.
 * As the reference CLI: in the folder, with the caller's environment and rights, before anything
 * else; the object form's commands in parallel; its output on stderr (stdout is for the result
 * line); a command that fails stops `up` with its exit status.
 */
export async function runInitializeCommand(folder: string, steps: LifecycleStep[]): Promise<void> {
  const [{ spawn }, { write }, { CliError }] = await Promise.all([import("node:child_process"), import("../output.js"), import("../errors.js")]);
  if (!steps.length) return;
  await write(process.stderr, `Running the initializeCommand from devcontainer.json...\n`);
  await Promise.all(
    steps.map(
      (st) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(st.argv[0]!, st.argv.slice(1), { cwd: folder, env: process.env, stdio: ["ignore", process.stderr, process.stderr] });
          child.once("error", (err: NodeJS.ErrnoException) => reject(new CliError("PRECONDITION_FAILED", `${st.name}: ${st.argv[0]}: ${err.code ?? err.message} (spawn in ${folder})`)));
          child.once("exit", (code, signal) =>
            code === 0 ? resolve() : reject(new CliError("PRECONDITION_FAILED", `${st.name} failed on this machine (in ${folder}): \`${st.argv.join(" ")}\` ${signal ? `was killed by ${signal}` : `exited with exit code ${code}`}`)),
          );
        }),
    ),
  );
}

/**
 * `berth dev up`: initializeCommand here, then the stack up (images built, features installed, the folder bind-mounted or
 * copied in), the lifecycle commands, the forwarded ports' visibility set and their links printed
 * with their labels, then the reference CLI's result line:
 * {"outcome":"success","containerId":…,"remoteUser":…,"remoteWorkspaceFolder":…}. A failure
 * prints {"outcome":"error",…} there too, and exits non-zero with the reason on stderr.
 */
export async function devUp(folder: string, initialize: () => Promise<LifecycleStep[]>, makePlan: () => Promise<DevcontainerPlan>, flags: DevUpFlags): Promise<void> {
  const [{ connect }, { write }, { upAndFollow, eventLines }, { afterDevUp }] = await Promise.all([import("../client.js"), import("../output.js"), import("./stack-up.js"), import("./stack-dev.js")]);
  const s = connect();
  try {
    await runInitializeCommand(folder, await initialize());
    const plan = await makePlan();
    for (const w of plan.project.warnings) process.stderr.write(`warning: ${w.where}: ${w.message}\n`);
    if (flags.removeExistingContainer) {
      const row = (await s.api.stack.ps.query({ name: plan.project.name }).catch(() => [])).find((r) => r.service === plan.service && r.number === 1);
      if (row) {
        await s.api.container.remove.mutate({ id: row.id, force: true });
        await write(process.stderr, eventLines([{ kind: "Container", name: row.name, status: "Removed" }]));
      }
    }
    const up = await upAndFollow(plan.project, [], { build: !!flags.build, dev: plan });
    const dev = up.dev!;
    const c = await afterDevUp(dev, up.events, flags);
    const name = plan.project.name;
    for (const p of dev.ports) if (p.visibility) await s.api.stack.setPort.mutate({ name, service: dev.service, port: p.port, visibility: p.visibility });
    if (dev.ports.length) {
      const links = await s.api.stack.ports.query({ name });
      for (const p of dev.ports) {
        const l = links.find((x) => x.service === dev.service && x.port === p.port);
        if (l) await write(process.stderr, ` Port ${p.port}${p.label ? ` (${p.label})` : ""}  ${l.url}  ${l.visibility}\n`);
      }
    }
    const inspect = (await s.api.container.inspect.query({ id: c.id })) as { Config?: { User?: string } };
    const remoteUser = dev.remoteUser ?? dev.containerUser ?? (inspect.Config?.User || "root");
    await write(process.stdout, `${JSON.stringify({ outcome: "success", containerId: c.id, remoteUser, remoteWorkspaceFolder: dev.workspaceFolder })}\n`);
  } catch (err) {
    await write(process.stdout, `${JSON.stringify({ outcome: "error", message: (err as Error).message, description: "An error occurred setting up the dev container." })}\n`);
    throw err;
  }
}
