import { Option, type Command } from "commander";
import { action } from "../action.js";
import type { ContainerSummary } from "../api.js";
import { logFlags, logOptions, type LogFlags } from "../log-flags.js";
import { healthOptions, type HealthFlags } from "../health-flags.js";
import { lifecycleFlags, lifecycleOptions, type LifecycleFlags } from "../lifecycle-flags.js";
import { networkFlags, networkOptions, type NetworkFlags } from "./network.js";
import { mountFlags, mountOptions, type MountFlags } from "./mount-flags.js";

export interface RunArgs {
  image: string;
  cmd: string[];
  rm: boolean;
  name: string | undefined;
  detach: boolean;
  /** Docker's resource and security flags, as typed (parsed and validated in run()). */
  flags?: RunFlags;
}

export interface RunFlags extends LogFlags, LifecycleFlags, NetworkFlags, MountFlags, HealthFlags {
  memory?: string;
  memorySwap?: string;
  cpus?: string;
  pidsLimit?: string;
  capAdd?: string[];
  capDrop?: string[];
  readOnly?: boolean;
  user?: string;
  init?: boolean;
  /** -i: keep stdin open and attach it */
  interactive?: boolean;
  /** -t: a pty for the container */
  tty?: boolean;
  /** --pull missing|always|never: when to pull the image from its registry first (default missing). */
  pull?: string;
}

export const PULL_POLICIES = ["missing", "always", "never"] as const;

/** `--pull` checked: a bad value is a flag error, as Docker's. */
export async function pullPolicy(v: string | undefined): Promise<(typeof PULL_POLICIES)[number]> {
  if (v === undefined) return "missing";
  if ((PULL_POLICIES as readonly string[]).includes(v)) return v as (typeof PULL_POLICIES)[number];
  const { CliError } = await import("../errors.js");
  throw new CliError("FLAG", `invalid pull option: '${v}': must be one of "always", "missing" or "never"`);
}

/** Docker's name for what it could not find: a tag added where none is given. */
const withTag = (ref: string) => (ref.includes("@") || /:[^/]*$/.test(ref) ? ref : `${ref}:latest`);

/** Pulls the image for run/create (progress quiet; Docker's two status lines on stderr). */
export async function pullForRun(image: string): Promise<void> {
  const [{ credsFor, transfer }, { write }] = await Promise.all([import("../registry-transfer.js"), import("../output.js")]);
  const r = await transfer<{ id: string; digest: string; ref: string }>("/api/images/pull", image, credsFor(image, undefined), true);
  await write(process.stderr, `Digest: ${r.digest}\nStatus: Downloaded newer image for ${r.ref}\n`);
}

/**
 * Runs `attempt` under the pull policy: `always` pulls first; `missing` pulls when the server
 * has no such image, then tries again; `never` never pulls.
 */
export async function withPull<T>(image: string, policy: string | undefined, attempt: () => Promise<T>): Promise<T> {
  const p = await pullPolicy(policy);
  if (p === "always") await pullForRun(image);
  try {
    return await attempt();
  } catch (err) {
    if (p !== "missing") throw err;
    const [{ toCliError, CliError }, { write }] = await Promise.all([import("../errors.js"), import("../output.js")]);
    const e = toCliError(err, "");
    if (e.code !== "NOT_FOUND" || !/^No such image/.test(e.message)) throw err;
    await write(process.stderr, `Unable to find image '${withTag(image)}' locally\n`);
    try {
      await pullForRun(image);
    } catch (pullErr) {
      // Both facts in one line: it is not here, and why it could not be fetched.
      throw new CliError("NOT_FOUND", `${e.message}; pulling it failed: ${toCliError(pullErr, "").message}`);
    }
    return attempt();
  }
}

/** The flags as the API's ContainerOptions; a bad value is a usage error naming the flag. */
export async function toOptions(f: RunFlags = {}) {
  // core (zod) only for a size flag: a plain `run` loads none of it.
  const parseBytes = f.memory !== undefined || f.memorySwap !== undefined ? (await import("@berth/core")).parseBytes : undefined;
  const { CliError } = await import("../errors.js");
  const num = (flag: string, v: string, int: boolean) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0 || (int && !Number.isInteger(n))) throw new CliError("USAGE", `invalid value "${v}" for ${flag}: expected a positive ${int ? "whole " : ""}number`);
    return n;
  };
  const bytes = (flag: string, v: string) => {
    if (v === "-1") return -1;
    try {
      return parseBytes!(v);
    } catch (e) {
      throw new CliError("USAGE", `invalid value for ${flag}: ${(e as Error).message}`);
    }
  };
  return {
    ...(f.memory !== undefined ? { memory: bytes("--memory", f.memory) } : {}),
    ...(f.memorySwap !== undefined ? { memorySwap: bytes("--memory-swap", f.memorySwap) } : {}),
    ...(f.cpus !== undefined ? { cpus: num("--cpus", f.cpus, false) } : {}),
    ...(f.pidsLimit !== undefined ? { pidsLimit: num("--pids-limit", f.pidsLimit, true) } : {}),
    ...(f.capAdd?.length ? { capAdd: f.capAdd } : {}),
    ...(f.capDrop?.length ? { capDrop: f.capDrop } : {}),
    ...(f.readOnly ? { readOnly: true } : {}),
    ...(f.user !== undefined ? { user: f.user } : {}),
    ...(f.init ? { init: true } : {}),
    ...(f.tty ? { tty: true } : {}),
    ...(f.interactive ? { interactive: true } : {}),
    ...(await logOptions(f)),
    ...(await lifecycleOptions(f)),
    ...(await networkOptions(f)),
    ...(await mountOptions(f)),
    ...(await healthOptions(f)),
  };
}

export async function run(a: RunArgs): Promise<number> {
  await pullPolicy(a.flags?.pull);
  const options = await toOptions(a.flags);
  const input = {
    image: a.image,
    ...(a.cmd.length ? { cmd: a.cmd } : {}),
    ...(a.name !== undefined ? { name: a.name } : {}),
    ...(a.rm ? { autoRemove: true } : {}),
    ...(Object.keys(options).length ? { options } : {}),
  };
  // Attached without a terminal: one streaming request (run-attached.ts), no tRPC or socket.io.
  if (!a.detach && !a.flags?.tty && !a.flags?.interactive) {
    const { runAttachedCommand } = await import("../run-attached.js");
    return withPull(a.image, a.flags?.pull, () => runAttachedCommand(input));
  }
  const [{ connect }, { write }] = await Promise.all([import("../client.js"), import("../output.js")]);
  const s = connect();
  const { id } = await withPull(a.image, a.flags?.pull, () => s.api.container.run.mutate(a.detach ? { ...input, detach: true } : input));
  if (a.detach) {
    // Docker's `run -d` returns once the container has started: `inspect` or `attach` right after
    // it find it running. The worker starts it at once; wait (bounded) until it left "created".
    let c: ContainerSummary | undefined;
    for (let waited = 0; waited < 10_000; waited += 50) {
      c = await s.api.container.byId.query({ id }).catch(() => undefined);
      if (!c || c.state !== "created") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // A start that failed (no such command, or a start the database could not record) is an
    // error, as Docker's `run -d` says it: 126/127 for the command, else 125. A command that ran
    // and ended already is not: its row has no error. With --rm the row may be gone with the
    // failure already: its exit is still in the events.
    const ended = c ? (c.state === "exited" ? c : undefined) : a.rm ? await s.api.container.removedExit.query({ id }).catch(() => undefined) : undefined;
    if (ended?.error) {
      await write(process.stderr, `berth: failed to start container ${id.slice(0, 12)}: ${ended.error}\n`);
      return ended.exitCode === 126 || ended.exitCode === 127 ? ended.exitCode : 125;
    }
    await write(process.stdout, id + "\n");
    return 0;
  }
  // -i/-t: the worker waits (up to 10 s) for this attach before it starts the container.
  const { runTerminal } = await import("../terminal.js");
  const r = await runTerminal(s, { event: "attach:start", payload: { containerId: id }, tty: !!a.flags?.tty, interactive: !!a.flags?.interactive });
  if (r.error) await write(process.stderr, `berth: ${r.error}\n`);
  return r.exitCode ?? 125;
}

export function register(program: Command, handler: (a: RunArgs) => Promise<number | void> = run): Command {
  return runFlags(
    program
      .command("run")
      .description("Create and run a new container from an image")
      .usage("[OPTIONS] IMAGE [COMMAND] [ARG...]"),
  )
    .option("-d, --detach", "run the container in the background and print its ID")
    .argument("<image>", "image to run (name[:tag], id or id prefix)")
    .argument("[command...]", "command and arguments for the container (everything after IMAGE)")
    // Everything after IMAGE belongs to the container: `berth run busybox ls -la`.
    .passThroughOptions()
    .action(
      action("run", (image: string, cmd: string[], opts: { rm?: boolean; name?: string; detach?: boolean } & RunFlags) => {
        const { rm, name, detach, ...flags } = opts;
        return handler({ image, cmd, rm: !!rm, name, detach: !!detach, flags });
      }),
    );
}

/** The flags run and create share (create: everything but -d). */
export function runFlags(cmd: Command): Command {
  return mountFlags(networkFlags(lifecycleFlags(logFlags(cmd))))
    .option("--rm", "automatically remove the container when it exits")
    .option("--name <name>", "assign a name to the container")
    .option("-m, --memory <bytes>", "memory limit (e.g. 64m, 1g)")
    .option("--memory-swap <bytes>", "memory + swap limit; -1 for unlimited swap")
    .option("--cpus <number>", "number of CPUs (e.g. 1.5)")
    .option("--pids-limit <n>", "maximum number of processes")
    .option("--cap-add <cap>", "add a Linux capability (repeatable)", collect, [])
    .option("--cap-drop <cap>", "drop a Linux capability (repeatable)", collect, [])
    .option("--read-only", "mount the container's root filesystem read-only")
    .option("-u, --user <user>", "username or UID (format: <name|uid>[:<group|gid>])")
    .option("--init", "run an init inside the container that forwards signals and reaps processes")
    .option("--health-cmd <command>", "command to run to check health (run by /bin/sh -c in the container)")
    .option("--health-interval <duration>", "time between running the check (e.g. 30s)")
    .option("--health-timeout <duration>", "maximum time to allow one check to run")
    .option("--health-retries <n>", "consecutive failures needed to report unhealthy")
    .option("--health-start-period <duration>", "start period for the container to initialize before failures count")
    .option("--health-start-interval <duration>", "time between checks during the start period")
    // The hidden positive twin keeps commander from defaulting `healthcheck` to true when neither is given.
    .addOption(new Option("--healthcheck").hideHelp())
    .option("--no-healthcheck", "disable any container-specified HEALTHCHECK")
    .option("-i, --interactive", "keep STDIN open and attach it")
    .option("-t, --tty", "allocate a pseudo-TTY")
    .option("--pull <policy>", 'pull the image before running: "missing" (default: when it is not here), "always" or "never"');
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
