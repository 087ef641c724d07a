import fs from "node:fs";
import path from "node:path";
import { InvalidArgument } from "../errors.js";
import { parseJsonc } from "./jsonc.js";
import { LIFECYCLE_HOOKS, type LifecycleHook } from "./lifecycle.js";

/**
 * Dev container Features (containers.dev/implementors/features): `"features": { ID: options }`.
 * A local one ("./name", a folder beside devcontainer.json) or one in an OCI registry
 * ("registry/namespace/name[:tag|@digest]"); each is a folder with devcontainer-feature.json and
 * install.sh, run as root in a layer over the dev container's image with its options as
 * environment variables.
 */
export type FeatureSource = { kind: "local"; dir: string } | { kind: "oci"; ref: string };

export interface FeatureUse {
  /** The key as written in devcontainer.json. */
  id: string;
  source: FeatureSource;
  /** The options given (a bare string is the "version" option, as the spec says). */
  options: Record<string, string | boolean>;
}

/** What a feature's devcontainer-feature.json says that installing it needs. */
export interface FeatureMetadata {
  id: string;
  options: Record<string, { default?: string | boolean }>;
  containerEnv: Record<string, string>;
  /** The feature's own lifecycle commands (run before the dev container's, as the spec merges them). */
  lifecycle: Partial<Record<LifecycleHook, unknown>>;
  /** Ids (no version) it installs after when they are installed too (a hint). */
  installsAfter: string[];
  /** Features (reference → options) it needs installed before it; added when not listed. */
  dependsOn: Record<string, Record<string, string | boolean>>;
  /** What the container needs when the feature is used (the spec's merge: any init, capAdd joined). */
  container: { init?: boolean; privileged?: boolean; capAdd: string[]; securityOpt: string[]; entrypoint?: string; mounts: unknown[] };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The features of a devcontainer.json, in the order written; `dir` is the folder devcontainer.json is in. */
export function featureUses(raw: unknown, dir: string, file: string): FeatureUse[] {
  if (raw === undefined) return [];
  if (!isRecord(raw)) throw new InvalidArgument(`${file}: features is an object of feature ids to their options`);
  return Object.entries(raw).flatMap(([id, value]): FeatureUse[] => {
    if (value === false) return [];
    let options: Record<string, string | boolean>;
    if (typeof value === "string") options = { version: value };
    else if (value === true || value === null) options = {};
    else if (isRecord(value)) options = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === "boolean" ? v : String(v)]));
    else throw new InvalidArgument(`${file}: features["${id}"]: give an object of options (or a version string)`);
    if (id.startsWith("./") || id.startsWith("../")) {
      const folder = path.resolve(dir, id);
      // The spec keeps local features inside .devcontainer/ (beside the file).
      if (path.relative(dir, folder).startsWith("..")) throw new InvalidArgument(`${file}: features["${id}"]: a local feature is a folder inside ${path.basename(dir)}/, beside devcontainer.json`);
      if (!fs.existsSync(path.join(folder, "install.sh"))) throw new InvalidArgument(`${file}: features["${id}"]: ${folder} has no install.sh`);
      return [{ id, source: { kind: "local", dir: folder }, options }];
    }
    if (/^https?:\/\//.test(id)) throw new InvalidArgument(`${file}: features["${id}"]: a feature from a tarball URL is not supported by Berth: push it to a registry, or copy it beside devcontainer.json and name it "./<folder>"`);
    // An OCI reference names its registry host first (a dot, a colon or localhost).
    if (!/^(localhost|[^/]*[.:][^/]*)\/[^\s]+$/.test(id)) throw new InvalidArgument(`${file}: features["${id}"] is neither a local feature ("./folder") nor an OCI reference (registry/namespace/name:tag)`);
    return [{ id, source: { kind: "oci", ref: id.includes("@") || /:[\w.-]+$/.test(id.slice(id.lastIndexOf("/"))) ? id : `${id}:latest` }, options }];
  });
}

const stringList = (v: unknown, where: string): string[] => {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new InvalidArgument(`${where}: a list of strings`);
  return v as string[];
};

/** A feature folder's devcontainer-feature.json (its id, option defaults, containerEnv, order and container needs). */
export function readFeatureMetadata(folder: string, what: string): FeatureMetadata {
  const file = path.join(folder, "devcontainer-feature.json");
  if (!fs.existsSync(file)) return { id: path.basename(folder), options: {}, containerEnv: {}, lifecycle: {}, installsAfter: [], dependsOn: {}, container: { capAdd: [], securityOpt: [], mounts: [] } };
  const raw = parseJsonc(fs.readFileSync(file, "utf8"), `${what}: devcontainer-feature.json`);
  if (!isRecord(raw)) throw new InvalidArgument(`${what}: devcontainer-feature.json is an object`);
  const options = isRecord(raw.options) ? (raw.options as FeatureMetadata["options"]) : {};
  const containerEnv = isRecord(raw.containerEnv) ? Object.fromEntries(Object.entries(raw.containerEnv).map(([k, v]) => [k, String(v)])) : {};
  const lifecycle = Object.fromEntries(LIFECYCLE_HOOKS.filter((h) => raw[h] !== undefined).map((h) => [h, raw[h]]));
  const where = `${what}: devcontainer-feature.json`;
  if (raw.dependsOn !== undefined && !isRecord(raw.dependsOn)) throw new InvalidArgument(`${where}: dependsOn is an object of feature references to their options`);
  const dependsOn = Object.fromEntries(
    Object.entries(isRecord(raw.dependsOn) ? raw.dependsOn : {}).map(([ref, o]) => [ref, isRecord(o) ? Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === "boolean" ? v : String(v)])) : typeof o === "string" ? { version: o } : {}]),
  );
  if (raw.entrypoint !== undefined && typeof raw.entrypoint !== "string") throw new InvalidArgument(`${where}: entrypoint is the path of a script in the image`);
  const container: FeatureMetadata["container"] = {
    ...(raw.init === true ? { init: true } : {}),
    ...(raw.privileged === true ? { privileged: true } : {}),
    capAdd: stringList(raw.capAdd, `${where}: capAdd`),
    securityOpt: stringList(raw.securityOpt, `${where}: securityOpt`),
    ...(typeof raw.entrypoint === "string" ? { entrypoint: raw.entrypoint } : {}),
    mounts: Array.isArray(raw.mounts) ? raw.mounts : raw.mounts === undefined ? [] : [raw.mounts],
  };
  return { id: typeof raw.id === "string" ? raw.id : path.basename(folder), options, containerEnv, lifecycle, installsAfter: stringList(raw.installsAfter, `${where}: installsAfter`), dependsOn, container };
}

/** The spec's name for an option's variable: non-word characters to _, leading digits and _ to one _, upper case. */
export function optionVariable(option: string): string {
  return option.replace(/[^\w_]/g, "_").replace(/^[\d_]+/g, "_").toUpperCase();
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** devcontainer-features.env for one feature: each option (given, else its default) as NAME='value', plus the users. */
export function featureEnvFile(meta: FeatureMetadata, given: Record<string, string | boolean>, users: { remoteUser: string; containerUser: string }): string {
  const values: Record<string, string> = {};
  for (const [k, o] of Object.entries(meta.options)) if (o.default !== undefined) values[optionVariable(k)] = String(o.default);
  for (const [k, v] of Object.entries(given)) values[optionVariable(k)] = String(v);
  values._REMOTE_USER = users.remoteUser;
  values._CONTAINER_USER = users.containerUser;
  return Object.entries(values)
    .map(([k, v]) => `${k}=${shellQuote(v)}\n`)
    .join("");
}

/**
 * The Dockerfile of the image with the features installed: each feature folder (copied into the
 * context as f0, f1, …), in install order, runs its install.sh as root with its env file exported;
 * each feature's containerEnv becomes the image's before its install.sh runs (as the spec says,
 * so it and later features see it); the image's own user is restored at the end.
 */
export function featuresDockerfile(base: string, features: { meta: FeatureMetadata; folder: string }[], imageUser: string | undefined): string {
  const lines = [`FROM ${base}`, "USER root"];
  features.forEach(({ meta, folder }) => {
    for (const [k, v] of Object.entries(meta.containerEnv)) lines.push(`ENV ${k}=${JSON.stringify(v)}`);
    lines.push(`COPY ${folder}/ /tmp/berth-features/${folder}/`);
    lines.push(`RUN cd /tmp/berth-features/${folder} && chmod +x install.sh && set -a && . ./devcontainer-features.env && set +a && ./install.sh && rm -rf /tmp/berth-features/${folder}`);
  });
  if (imageUser) lines.push(`USER ${imageUser}`);
  return `${lines.join("\n")}\n`;
}
