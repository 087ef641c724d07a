import os from "node:os";
import path from "node:path";
import { InvalidArgument } from "../errors.js";
import { splitShellWords } from "./shell-words.js";
import type { Source } from "./source.js";

/**
 * Short forms to long forms, per service, before files are merged: lists of `K=V` become
 * maps, `"8080:80"` becomes `{published, target}`, `"./src:/app:ro"` becomes a bind with an
 * absolute source. Merging and the model then deal with one shape per key.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- YAML as read, before the model types it
export type Raw = Record<string, any>;

export function expandService(name: string, svc: Raw, src: Source, baseDir: string): Raw {
  const at = (...p: (string | number)[]) => src.where(["services", name, ...p]);
  const out: Raw = { ...svc };
  if (typeof svc.build === "string") out.build = { context: svc.build };
  if (out.build) {
    out.build = { ...out.build, context: resolvePath(baseDir, out.build.context ?? ".") };
    if (out.build.args !== undefined) out.build.args = toMap(out.build.args, at("build", "args"));
    if (out.build.labels !== undefined) out.build.labels = toMap(out.build.labels, at("build", "labels"));
  }
  for (const key of ["environment", "labels"]) if (svc[key] !== undefined) out[key] = toMap(svc[key], at(key));
  if (svc.env_file !== undefined) {
    const list: unknown[] = Array.isArray(svc.env_file) ? svc.env_file : [svc.env_file];
    out.env_file = list.map((e) => (typeof e === "string" ? { path: resolvePath(baseDir, e), required: true } : { required: true, ...(e as Raw), path: resolvePath(baseDir, String((e as Raw).path)) }));
  }
  if (Array.isArray(svc.depends_on)) out.depends_on = Object.fromEntries(svc.depends_on.map((d: string) => [d, { condition: "service_started" }]));
  if (Array.isArray(svc.networks)) out.networks = Object.fromEntries(svc.networks.map((n: string) => [n, {}]));
  else if (svc.networks) out.networks = Object.fromEntries(Object.entries(svc.networks).map(([k, v]) => [k, v ?? {}]));
  for (const key of ["command", "entrypoint"]) {
    if (typeof svc[key] === "string") out[key] = splitShellWords(svc[key], at(key));
  }
  if (svc.healthcheck?.test !== undefined && typeof svc.healthcheck.test === "string") out.healthcheck = { ...svc.healthcheck, test: ["CMD-SHELL", svc.healthcheck.test] };
  if (svc.ports) out.ports = svc.ports.flatMap((p: unknown, i: number) => expandPort(p, at("ports", i)));
  if (svc.expose) out.expose = svc.expose.map(String);
  if (svc.volumes) out.volumes = svc.volumes.map((v: unknown, i: number) => expandVolume(v, baseDir, at("volumes", i)));
  if (svc.tmpfs !== undefined) out.tmpfs = Array.isArray(svc.tmpfs) ? svc.tmpfs : [svc.tmpfs];
  if (typeof svc.extends === "string") out.extends = { service: svc.extends };
  if (out.extends?.file) out.extends = { ...out.extends, file: resolvePath(baseDir, out.extends.file) };
  return out;
}

export function toMap(v: unknown, where: string): Record<string, string | null> {
  if (Array.isArray(v)) {
    const m: Record<string, string | null> = {};
    for (const item of v) {
      const s = String(item);
      const eq = s.indexOf("=");
      if (eq === 0) throw new InvalidArgument(`${where}: "${s}" has no name before "="`);
      if (eq === -1) m[s] = null;
      else m[s.slice(0, eq)] = s.slice(eq + 1);
    }
    return m;
  }
  const m: Record<string, string | null> = {};
  for (const [k, val] of Object.entries((v ?? {}) as Raw)) m[k] = val === null || val === undefined ? null : String(val);
  return m;
}

export function resolvePath(base: string, p: string): string {
  if (p === "~" || p.startsWith("~/")) return path.join(os.homedir(), p.slice(1));
  return path.resolve(base, p);
}

const PORT_RE = /^(?:(?:\[([0-9a-fA-F:.]+)\]|(\d+\.\d+\.\d+\.\d+)):)?(?:(\d+)(?:-(\d+))?:)?(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/;

function expandPort(p: unknown, where: string): Raw[] {
  if (typeof p === "object" && p !== null) {
    const o = p as Raw;
    const published = o.published === undefined || o.published === "" ? undefined : o.published;
    return [{ target: Number(o.target), ...(published !== undefined ? { published: String(published) } : {}), ...(o.host_ip ? { host_ip: o.host_ip } : {}), protocol: o.protocol ?? "tcp" }];
  }
  const s = String(p);
  const m = PORT_RE.exec(s);
  if (!m) throw new InvalidArgument(`${where}: "${s}" is not a port: write [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp], e.g. "8080:80"`);
  const [, ip6, ip4, hostStart, hostEnd, start, end, proto] = m;
  if (proto === "sctp") throw new InvalidArgument(`${where}: sctp ports are not supported; use tcp or udp`);
  const first = Number(start);
  const last = end ? Number(end) : first;
  if (last < first) throw new InvalidArgument(`${where}: the port range "${s}" ends before it starts`);
  const count = last - first + 1;
  const hFirst = hostStart ? Number(hostStart) : undefined;
  const hLast = hostEnd ? Number(hostEnd) : hFirst;
  if (hFirst !== undefined && hLast !== undefined && hLast - hFirst + 1 !== count && !(count === 1)) {
    throw new InvalidArgument(`${where}: "${s}" maps ${hLast - hFirst + 1} host ports to ${count} container ports; give ranges of the same length`);
  }
  const out: Raw[] = [];
  for (let i = 0; i < count; i++) {
    out.push({
      target: first + i,
      ...(hFirst !== undefined ? { published: String(hFirst + i) } : {}),
      ...(ip6 || ip4 ? { host_ip: ip6 ?? ip4 } : {}),
      protocol: proto ?? "tcp",
    });
  }
  return out;
}

function expandVolume(v: unknown, baseDir: string, where: string): Raw {
  if (typeof v === "object" && v !== null) {
    const o = { ...(v as Raw) };
    if (o.type === "bind" && typeof o.source === "string") o.source = resolvePath(baseDir, o.source);
    return o;
  }
  const s = String(v);
  const parts = s.split(":");
  if (parts.length === 1) return { type: "volume", target: parts[0] };
  if (parts.length > 3) throw new InvalidArgument(`${where}: "${s}" is not a volume: write [SOURCE:]TARGET[:ro|rw]`);
  const [source = "", target = "", mode = ""] = parts;
  const modes = mode.split(",").filter(Boolean);
  for (const m of modes) {
    if (!["ro", "rw", "z", "Z", "nocopy", "cached", "delegated", "consistent"].includes(m)) {
      throw new InvalidArgument(`${where}: unknown volume mode "${m}" in "${s}": use ro or rw`);
    }
  }
  const readOnly = modes.includes("ro");
  const isPath = /^[./~]/.test(source);
  if (isPath) return { type: "bind", source: resolvePath(baseDir, source), target, read_only: readOnly };
  return { type: "volume", source, target, read_only: readOnly, ...(modes.includes("nocopy") ? { volume: { nocopy: true } } : {}) };
}
