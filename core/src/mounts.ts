import { z } from "zod";
import { InvalidArgument } from "./errors.js";

/** Docker's rule for volume names (at least two characters). */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
export const VolumeName = z.string().max(255).regex(VOLUME_NAME, "volume names are [a-zA-Z0-9][a-zA-Z0-9_.-]+");

const ContainerPath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith("/") && !p.includes("\0"), "the container path must be absolute")
  .refine((p) => !p.split("/").includes(".."), "the container path must not contain ..")
  .refine((p) => p.replace(/\/+$/, "") !== "", "the container path must not be /");

/**
 * One mount of a container, as stored in its options. Volumes without a source are anonymous:
 * the worker names them (64 hex digits) when the container is created, and sets `anonymous`.
 */
export const MountSpec = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("bind"),
    source: z.string().min(1).max(4096).refine((p) => p.startsWith("/") && !p.includes("\0"), "the bind source must be an absolute host path"),
    target: ContainerPath,
    readOnly: z.boolean().default(false),
    /** `-v /host:/ctr` makes a missing host directory (Docker does); `--mount` refuses it. */
    createSource: z.boolean().default(false),
    /** Set by the worker when a grant allowed the bind (a caller other than the site admin): checked again at every start. */
    confined: z.boolean().optional(),
  }),
  z.object({
    type: z.literal("volume"),
    source: VolumeName.optional(),
    target: ContainerPath,
    readOnly: z.boolean().default(false),
    /** `volume-nocopy`: an empty volume is not filled with the image's content at the target. */
    noCopy: z.boolean().default(false),
    anonymous: z.boolean().default(false),
  }),
  z.object({
    type: z.literal("tmpfs"),
    target: ContainerPath,
    readOnly: z.boolean().default(false),
    size: z.number().int().min(4096).optional(),
    mode: z.number().int().min(0).max(0o7777).optional(),
    exec: z.boolean().default(false),
  }),
]);
export type MountSpec = z.infer<typeof MountSpec>;

/** Fields merged into ContainerOptions. */
export const MountFields = {
  /** `-v`, `--mount`, `--tmpfs`, and the image's VOLUMEs (added by the worker at create). */
  mounts: z
    .array(MountSpec)
    .max(128)
    .default([])
    .refine((ms) => new Set(ms.map((m) => normTarget(m.target))).size === ms.length, "Duplicate mount point: each container path may be mounted once"),
};

/** "/data/" → "/data". */
export const normTarget = (p: string) => p.replace(/\/+$/, "").replace(/\/{2,}/g, "/") || "/";

function bad(flag: string, spec: string, why: string): never {
  throw new InvalidArgument(`invalid ${flag} "${spec}": ${why}`);
}

function checkTarget(flag: string, spec: string, target: string | undefined): string {
  if (!target) bad(flag, spec, "the container path is empty; give an absolute path such as /data");
  if (!target.startsWith("/")) bad(flag, spec, `the container path "${target}" must be absolute (e.g. /${target.replace(/^\.?\/*/, "")})`);
  if (target.split("/").includes("..")) bad(flag, spec, `the container path "${target}" must not contain ..`);
  if (normTarget(target) === "/") bad(flag, spec, "the container path cannot be /");
  return normTarget(target);
}

/**
 * `-v` / `--volume`: `/ctr` (anonymous volume), `NAME:/ctr[:OPTS]` (named volume, made if
 * missing), `/host:/ctr[:OPTS]` (bind; a missing host directory is created). OPTS: ro, rw,
 * nocopy, and z/Z (accepted, no SELinux here).
 */
export function parseVolumeFlag(spec: string): MountSpec {
  const flag = "--volume";
  const parts = spec.split(":");
  if (parts.length > 3) bad(flag, spec, "too many colons; use SOURCE:/path[:ro|rw]");
  if (parts.length === 1) return { type: "volume", target: checkTarget(flag, spec, parts[0]), readOnly: false, noCopy: false, anonymous: true };
  const [source, target, opts = ""] = parts as [string, string, string?];
  if (source === "") bad(flag, spec, "the source is empty; use NAME:/path for a volume or /host/path:/path for a bind mount");
  const t = checkTarget(flag, spec, target);
  let readOnly = false;
  let noCopy = false;
  for (const o of opts.split(",").filter(Boolean)) {
    if (o === "ro") readOnly = true;
    else if (o === "rw") readOnly = false;
    else if (o === "nocopy") noCopy = true;
    else if (o === "z" || o === "Z") continue;
    else bad(flag, spec, `unknown option "${o}"; use ro, rw or nocopy`);
  }
  if (source.startsWith("/")) return { type: "bind", source: source.replace(/\/+$/, "") || "/", target: t, readOnly, createSource: true };
  if (!VOLUME_NAME.test(source))
    bad(flag, spec, `"${source}" includes invalid characters for a local volume name, only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed. If you intended to pass a host directory, use an absolute path`);
  return { type: "volume", source, target: t, readOnly, noCopy, anonymous: false };
}

const MOUNT_KEYS = new Set(["type", "source", "src", "target", "destination", "dst", "readonly", "ro", "volume-nocopy", "tmpfs-size", "tmpfs-mode", "bind-propagation", "consistency"]);

function flagBool(spec: string, key: string, v: string | undefined): boolean {
  if (v === undefined || v === "1" || v === "true") return true;
  if (v === "0" || v === "false") return false;
  bad("--mount", spec, `invalid value "${v}" for ${key}: use true or false`);
}

/** `--mount type=bind|volume|tmpfs,source=…,target=…[,readonly][,volume-nocopy][,tmpfs-size=64m][,tmpfs-mode=1777]`. */
export function parseMountFlag(spec: string): MountSpec {
  const flag = "--mount";
  const kv = new Map<string, string | undefined>();
  for (const field of spec.split(",")) {
    if (field === "") continue;
    const eq = field.indexOf("=");
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    if (!MOUNT_KEYS.has(key)) bad(flag, spec, `unexpected key "${key}"; known keys: type, source, target, readonly, volume-nocopy, tmpfs-size, tmpfs-mode`);
    kv.set(key, eq < 0 ? undefined : field.slice(eq + 1));
  }
  const type = kv.get("type") ?? "volume";
  const source = kv.get("source") ?? kv.get("src");
  const target = checkTarget(flag, spec, kv.get("target") ?? kv.get("destination") ?? kv.get("dst"));
  const ro = kv.has("readonly") ? flagBool(spec, "readonly", kv.get("readonly")) : kv.has("ro") ? flagBool(spec, "ro", kv.get("ro")) : false;
  if (type !== "tmpfs" && (kv.has("tmpfs-size") || kv.has("tmpfs-mode"))) bad(flag, spec, "tmpfs-size and tmpfs-mode need type=tmpfs");
  if (type === "bind") {
    if (!source) bad(flag, spec, "type=bind needs source=/host/path");
    if (!source.startsWith("/")) bad(flag, spec, `the bind source "${source}" must be an absolute host path`);
    return { type: "bind", source: source.replace(/\/+$/, "") || "/", target, readOnly: ro, createSource: false };
  }
  if (type === "volume") {
    if (source !== undefined && source !== "" && !VOLUME_NAME.test(source)) bad(flag, spec, `"${source}" is not a valid volume name: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const noCopy = kv.has("volume-nocopy") ? flagBool(spec, "volume-nocopy", kv.get("volume-nocopy")) : false;
    return source ? { type: "volume", source, target, readOnly: ro, noCopy, anonymous: false } : { type: "volume", target, readOnly: ro, noCopy, anonymous: true };
  }
  if (type === "tmpfs") {
    if (source) bad(flag, spec, "type=tmpfs takes no source");
    const m: MountSpec = { type: "tmpfs", target, readOnly: ro, exec: false };
    const size = kv.get("tmpfs-size");
    if (size !== undefined) m.size = tmpfsSize(flag, spec, size);
    const mode = kv.get("tmpfs-mode");
    if (mode !== undefined) m.mode = tmpfsMode(flag, spec, mode);
    return m;
  }
  bad(flag, spec, `unknown type "${type}"; use bind, volume or tmpfs`);
}

const UNIT = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as const;

/** Docker's size syntax (64m, 1g, 65536). Not container-options' parseBytes: that module imports this one. */
function tmpfsSize(flag: string, spec: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)([bkmg]?)b?$/i.exec(v.trim());
  if (!m) bad(flag, spec, `invalid size "${v}": use a number with an optional unit k, m or g (e.g. 64m)`);
  const n = Math.round(Number(m[1]) * UNIT[m[2]!.toLowerCase() as keyof typeof UNIT]);
  if (n < 4096) bad(flag, spec, `size ${v} is too small (at least 4k)`);
  return n;
}

function tmpfsMode(flag: string, spec: string, v: string): number {
  if (!/^[0-7]{1,4}$/.test(v)) bad(flag, spec, `mode "${v}" must be octal permission bits such as 1777`);
  return parseInt(v, 8);
}

/** `--tmpfs /path[:size=64m,mode=1777,ro,exec]`. */
export function parseTmpfsFlag(spec: string): MountSpec {
  const flag = "--tmpfs";
  const colon = spec.indexOf(":");
  const target = checkTarget(flag, spec, colon < 0 ? spec : spec.slice(0, colon));
  const m: MountSpec = { type: "tmpfs", target, readOnly: false, exec: false };
  for (const o of colon < 0 ? [] : spec.slice(colon + 1).split(",").filter(Boolean)) {
    const [k, v] = o.split("=", 2) as [string, string?];
    if (k === "size" && v !== undefined) m.size = tmpfsSize(flag, spec, v);
    else if (k === "mode" && v !== undefined) m.mode = tmpfsMode(flag, spec, v);
    else if (k === "ro") m.readOnly = true;
    else if (k === "rw") m.readOnly = false;
    else if (k === "exec") m.exec = true;
    else if (k === "noexec") m.exec = false;
    else if (k === "nosuid" || k === "nodev") continue; // always so
    else bad(flag, spec, `unknown option "${o}"; use size=, mode=, ro, rw, exec or noexec`);
  }
  return m;
}
