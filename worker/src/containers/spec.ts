import type { ImageConfig } from "@berth/core";
import { InvalidArgument } from "@berth/core";

export const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The process a container runs, from the image config and what the user asked for (Docker's rules). */
export function processFromImage(config: ImageConfig, cmd: string[], containerId: string) {
  const c = config.config ?? {};
  const entrypoint = c.Entrypoint ?? [];
  const args = [...entrypoint, ...(cmd.length ? cmd : (c.Cmd ?? []))];
  if (args.length === 0) throw new InvalidArgument("no command specified: the image has no CMD or ENTRYPOINT; give one after the image name");
  const env = [...(c.Env ?? [])];
  if (!env.some((e) => e.startsWith("PATH="))) env.unshift(DEFAULT_PATH);
  const hostname = containerId.slice(0, 12);
  env.push(`HOSTNAME=${hostname}`);
  if (!env.some((e) => e.startsWith("HOME="))) env.push("HOME=/root");
  const { uid, gid } = parseUser(c.User);
  return { args, env, cwd: c.WorkingDir || "/", hostname, uid, gid };
}

/** First cut: numeric "uid[:gid]" or root; names need /etc/passwd lookup (runtime issue). */
function parseUser(user: string | undefined): { uid: number; gid: number } {
  if (!user || user === "root" || user === "0") return { uid: 0, gid: 0 };
  const m = /^(\d+)(?::(\d+))?$/.exec(user);
  if (!m) throw new InvalidArgument(`user "${user}" is not supported yet: use a numeric uid[:gid]`);
  return { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) };
}
