import type { Command } from "commander";

/** `-v`, `--mount` and `--tmpfs` as typed (repeatable). */
export interface MountFlags {
  volume?: string[];
  mount?: string[];
  tmpfs?: string[];
}

// No default: flags not given stay absent from the parsed options.
const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

/** The mount flags of run and create. */
export function mountFlags(cmd: Command): Command {
  return cmd
    .option("-v, --volume <spec>", "bind mount a volume: NAME:/path, /host/path:/path or /path (anonymous), with :ro or :rw (repeatable)", collect)
    .option("--mount <spec>", "attach a filesystem mount: type=bind|volume|tmpfs,source=…,target=…[,readonly] (repeatable)", collect)
    .option("--tmpfs <spec>", "mount a tmpfs: /path[:size=64m,mode=1777] (repeatable)", collect);
}

/** The flags as ContainerOptions' `mounts`; a bad spec is a usage error naming the flag and the fix. */
export async function mountOptions(f: MountFlags): Promise<{ mounts?: import("@berth/core").MountSpec[] }> {
  if (!f.volume?.length && !f.mount?.length && !f.tmpfs?.length) return {};
  const [{ parseVolumeFlag, parseMountFlag, parseTmpfsFlag, normTarget }, { CliError }] = await Promise.all([import("@berth/core"), import("../errors.js")]);
  try {
    const mounts = [...(f.volume ?? []).map(parseVolumeFlag), ...(f.mount ?? []).map(parseMountFlag), ...(f.tmpfs ?? []).map(parseTmpfsFlag)];
    const seen = new Set<string>();
    for (const m of mounts) {
      const t = normTarget(m.target);
      if (seen.has(t)) throw new Error(`Duplicate mount point: ${t}: mount each container path once`);
      seen.add(t);
    }
    return { mounts };
  } catch (e) {
    throw new CliError("USAGE", (e as Error).message);
  }
}
