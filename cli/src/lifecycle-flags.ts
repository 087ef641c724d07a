/**
 * run/create flags for the container's process and lifecycle: -e, --env-file, -w, --entrypoint,
 * -l, --label-file, -h, --restart, --stop-signal, --stop-timeout. Parsed here into the API's
 * LifecycleOptions; files are read on the client, as the docker CLI does.
 */
import fs from "node:fs";
import type { Command } from "commander";

export interface LifecycleFlags {
  env?: string[];
  envFile?: string[];
  workdir?: string;
  entrypoint?: string;
  label?: string[];
  labelFile?: string[];
  hostname?: string;
  restart?: string;
  stopSignal?: string;
  stopTimeout?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function lifecycleFlags(cmd: Command): Command {
  return (
    cmd
      // Docker's run takes -h for the hostname; help stays on --help.
      .helpOption("--help", "display help")
      .option("-e, --env <KEY=VALUE>", "set an environment variable; KEY alone takes its value from this shell (repeatable)", collect)
      .option("--env-file <file>", "read environment variables from a file (repeatable)", collect)
      .option("-w, --workdir <dir>", "working directory inside the container (created if missing)")
      .option("--entrypoint <command>", "overwrite the image's ENTRYPOINT (\"\" clears it)")
      .option("-l, --label <key=value>", "set a label on the container (repeatable)", collect)
      .option("--label-file <file>", "read labels from a file of key=value lines (repeatable)", collect)
      .option("-h, --hostname <name>", "container host name")
      .option("--restart <policy>", "restart policy: no, on-failure[:max-retries], always, unless-stopped", undefined)
      .option("--stop-signal <signal>", "signal to stop the container (default SIGTERM)")
      .option("--stop-timeout <seconds>", "seconds to wait before killing the container on stop (default 10)")
  );
}

/** Docker's env-file format: one entry a line; blank lines and lines starting with # are skipped. */
export function parseEnvFileText(text: string, file: string, lookup: (k: string) => string | undefined): string[] {
  const out: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\s+/, "");
    if (line === "" || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    const key = eq < 0 ? line : line.slice(0, eq);
    if (key === "") throw new Error(`${file}:${i + 1}: no variable name before "="`);
    if (/\s/.test(key)) throw new Error(`${file}:${i + 1}: variable '${key}' contains whitespaces`);
    if (eq >= 0) out.push(line);
    else {
      const v = lookup(key);
      if (v !== undefined) out.push(`${key}=${v}`);
    }
  });
  return out;
}

/** `-e KEY=VAL` as given; `-e KEY` takes this environment's value, and is dropped when unset (Docker). */
export function resolveEnvFlag(entry: string, lookup: (k: string) => string | undefined): string | undefined {
  if (entry.includes("=")) {
    if (entry.startsWith("=")) throw new Error(`invalid environment variable "${entry}": no name before "="`);
    return entry;
  }
  const v = lookup(entry);
  return v === undefined ? undefined : `${entry}=${v}`;
}

/** Label lines (`-l`, `--label-file`): "k=v", or "k" for an empty value. */
export function parseLabels(entries: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const e of entries) {
    const eq = e.indexOf("=");
    const key = eq < 0 ? e : e.slice(0, eq);
    if (!key) throw new Error(`invalid label "${e}": no key before "="`);
    labels[key] = eq < 0 ? "" : e.slice(eq + 1);
  }
  return labels;
}

function labelFileLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/^\s+/, ""))
    .filter((l) => l !== "" && !l.startsWith("#"));
}

function readFile(flag: string, file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(`${flag}: cannot read ${file}: ${err.code === "ENOENT" ? "no such file or directory" : err.message}`);
  }
}

/** The flags as LifecycleOptions; a bad value throws an Error naming the flag (the caller makes it a usage error). */
export async function lifecycleOptionsFrom(f: LifecycleFlags, lookup: (k: string) => string | undefined = (k) => process.env[k]) {
  const env = [
    ...(f.envFile ?? []).flatMap((file) => parseEnvFileText(readFile("--env-file", file), file, lookup)),
    ...(f.env ?? []).map((e) => resolveEnvFlag(e, lookup)).filter((e): e is string => e !== undefined),
  ];
  const labelEntries = [...(f.labelFile ?? []).flatMap((file) => labelFileLines(readFile("--label-file", file))), ...(f.label ?? [])];
  let stopTimeout: number | undefined;
  if (f.stopTimeout !== undefined) {
    if (!/^\d+$/.test(f.stopTimeout.trim())) throw new Error(`invalid value "${f.stopTimeout}" for --stop-timeout: expected whole seconds`);
    stopTimeout = Number(f.stopTimeout);
  }
  // core (zod) only for --restart: a plain `run` loads none of it.
  const restart = f.restart !== undefined ? (await import("@berth/core")).parseRestartPolicy(f.restart) : undefined;
  if (f.workdir !== undefined && !f.workdir.startsWith("/")) throw new Error(`invalid value "${f.workdir}" for --workdir: the working directory must be an absolute path`);
  return {
    ...(env.length ? { env } : {}),
    ...(f.workdir !== undefined ? { workdir: f.workdir } : {}),
    // Docker: --entrypoint is one word (no splitting); "" clears the image's.
    ...(f.entrypoint !== undefined ? { entrypoint: f.entrypoint === "" ? [] : [f.entrypoint] } : {}),
    ...(labelEntries.length ? { labels: parseLabels(labelEntries) } : {}),
    ...(f.hostname !== undefined ? { hostname: f.hostname } : {}),
    ...(restart && restart.name !== "no" ? { restart } : {}),
    ...(f.stopSignal !== undefined ? { stopSignal: f.stopSignal } : {}),
    ...(stopTimeout !== undefined ? { stopTimeout } : {}),
  };
}

/** toOptions' hook: the flags as options, a bad value a usage error. */
export async function lifecycleOptions(f: LifecycleFlags) {
  try {
    return await lifecycleOptionsFrom(f);
  } catch (e) {
    const { CliError } = await import("./errors.js");
    throw new CliError("USAGE", (e as Error).message);
  }
}
