import fs from "node:fs/promises";
import path from "node:path";
import type { ImageConfig, LifecycleOptions } from "@berth/core";
import { InvalidArgument, overrideEnv } from "@berth/core";

export const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * The process a container runs, from the image config and what the user asked for (Docker's
 * rules): `--entrypoint` replaces the image's ENTRYPOINT and drops its CMD, `-e` entries replace
 * the image's of the same name, `-w` and `-h` replace its working directory and the hostname.
 */
export function processFromImage(config: ImageConfig, cmd: string[], containerId: string, userOverride?: string, o: Partial<LifecycleOptions> = {}) {
  const c = config.config ?? {};
  const entrypoint = o.entrypoint ?? c.Entrypoint ?? [];
  const defaultCmd = o.entrypoint !== undefined ? [] : (c.Cmd ?? []);
  const args = [...entrypoint, ...(cmd.length ? cmd : defaultCmd)];
  if (args.length === 0) throw new InvalidArgument("no command specified: the image has no CMD or ENTRYPOINT; give one after the image name");
  const hostname = o.hostname ?? containerId.slice(0, 12);
  const env = overrideEnv([...(c.Env ?? [])], o.env ?? []);
  if (!env.some((e) => e.startsWith("PATH="))) env.unshift(DEFAULT_PATH);
  if (!env.some((e) => e.startsWith("HOSTNAME="))) env.push(`HOSTNAME=${hostname}`);
  if (!env.some((e) => e.startsWith("HOME="))) env.push("HOME=/root");
  return { args, env, cwd: o.workdir || c.WorkingDir || "/", hostname, user: userOverride || c.User || "" };
}


/**
 * `-w DIR` that the image lacks is created in the container's own layer, as Docker does.
 * Each component is looked up as the overlay would show it (upper first, then the image's
 * layers); a component that is a file or a symlink there is an error, never followed.
 */
export async function ensureWorkdir(workdir: string, upperdir: string, lowerdirs: string[]): Promise<void> {
  const parts = workdir.split("/").filter(Boolean);
  let rel = "";
  for (const part of parts) {
    rel = path.join(rel, part);
    let found: "dir" | "other" | undefined;
    for (const layer of [upperdir, ...lowerdirs]) {
      const st = await fs.lstat(path.join(layer, rel)).catch(() => undefined);
      if (!st) continue;
      found = st.isDirectory() ? "dir" : "other";
      break;
    }
    if (found === "other") throw new InvalidArgument(`cannot use ${workdir} as the working directory: /${rel} is not a directory in the image`);
    if (found === undefined) {
      await fs.mkdir(path.join(upperdir, rel), { recursive: true, mode: 0o755 });
    }
  }
}

/**
 * Reads a file from the image's layers, topmost first, as the overlay would show it. The path
 * is walked without following symlinks: a layer whose `etc` links to `/etc` must not make the
 * worker read the host's file (such a layer counts as not having it).
 */
async function readFromLayers(lowerdirs: string[], rel: string): Promise<string | undefined> {
  for (const dir of lowerdirs) {
    let cur = dir;
    let linked = false;
    for (const part of rel.split("/")) {
      cur = path.join(cur, part);
      const st = await fs.lstat(cur).catch(() => undefined);
      if (!st) break;
      if (st.isSymbolicLink()) {
        linked = true;
        break;
      }
    }
    if (linked) continue;
    try {
      return await fs.readFile(path.join(dir, rel), "utf8");
    } catch {
      /* not in this layer */
    }
  }
  return undefined;
}

const numeric = (s: string) => /^\d+$/.test(s);

/**
 * Docker's `-u` / USER: "name", "uid", "name:group", "uid:gid". Names come from the image's
 * /etc/passwd and /etc/group; a uid without a passwd entry gets gid 0, as with Docker; a name
 * the image does not know is an error naming the file.
 */
export async function resolveUser(user: string, lowerdirs: string[]): Promise<{ uid: number; gid: number }> {
  if (!user || user === "root") return { uid: 0, gid: 0 };
  const [u, g] = user.split(":", 2) as [string, string | undefined];
  let uid: number;
  let gid = 0;
  if (numeric(u)) {
    uid = Number(u);
    const passwd = (await readFromLayers(lowerdirs, "etc/passwd")) ?? "";
    const entry = passwd.split("\n").map((l) => l.split(":")).find((f) => f[2] === u);
    if (entry) gid = Number(entry[3]);
  } else {
    const passwd = await readFromLayers(lowerdirs, "etc/passwd");
    const entry = passwd?.split("\n").map((l) => l.split(":")).find((f) => f[0] === u);
    if (!entry) throw new InvalidArgument(`unable to find user ${u}: no matching entries in the image's /etc/passwd`);
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  }
  if (g !== undefined) {
    if (numeric(g)) gid = Number(g);
    else {
      const group = await readFromLayers(lowerdirs, "etc/group");
      const entry = group?.split("\n").map((l) => l.split(":")).find((f) => f[0] === g);
      if (!entry) throw new InvalidArgument(`unable to find group ${g}: no matching entries in the image's /etc/group`);
      gid = Number(entry[2]);
    }
  }
  return { uid, gid };
}
