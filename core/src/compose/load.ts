import fs from "node:fs";
import path from "node:path";
import { InvalidArgument, NotFound } from "../errors.js";
import { parseEnvFile } from "./env-file.js";
import { expandService, resolvePath, type Raw } from "./expand.js";
import { interpolate, type Lookup } from "./interpolate.js";
import { mergeNamed, mergeService } from "./merge.js";
import type { ComposeProject, ComposeWarning } from "./model.js";
import { confine, withRoot } from "./confine.js";
import { toProject } from "./project.js";
import { validateSchema } from "./schema.js";
import { parseSource, type Path, type Source } from "./source.js";
import { BUILD, DEPLOY, LIMITS, NETWORK, RESOURCES, SERVICE, TOP_LEVEL, VOLUME, type Support } from "./support.js";

export interface LoadOptions {
  /** Working directory of the command (where `compose.yaml` is looked for). */
  cwd: string;
  /** `-f`: the files, in order; later ones override earlier ones. */
  files?: string[];
  /** `-p` */
  projectName?: string;
  /** `--profile` */
  profiles?: string[];
  /** Services named on the command line: enabled even when their profile is not. */
  services?: string[];
  /** `--env-file` (default: `.env` in the project directory, if there). */
  envFiles?: string[];
  /** The environment of the command (process.env). */
  env: Record<string, string | undefined>;
  /**
   * A compose document made in memory (devcontainer.json's, as a compose file) instead of files:
   * `file` names it in messages, relative paths in it are from `dir`.
   */
  inline?: { file: string; text: string; dir: string };
  /** Read no file outside this directory (a repository that is not trusted: a preview). */
  root?: string;
}

/** The file names `compose up` looks for, in Compose v2's order of preference. */
export const DEFAULT_FILES = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

export function loadCompose(opts: LoadOptions): ComposeProject {
  return withRoot(opts.root, () => load(opts));
}

function load(opts: LoadOptions): ComposeProject {
  const files = opts.inline ? [opts.inline.file] : (opts.files?.length ? opts.files.map((f) => path.resolve(opts.cwd, f)) : [findDefaultFile(opts.cwd)]).map((f) => realFile(f));
  const projectDir = opts.inline ? opts.inline.dir : path.dirname(files[0] ?? opts.cwd);
  if (opts.inline) inlineTexts.set(opts.inline.file, opts.inline.text);
  const lookup = envLookup(opts.env, opts.envFiles?.map((f) => path.resolve(opts.cwd, f)) ?? [path.join(projectDir, ".env")], opts.envFiles !== undefined);
  const warnings: ComposeWarning[] = [];
  let model: Merged;
  try {
    model = loadFiles(files, projectDir, lookup, warnings, opts.cwd, new Set());
  } finally {
    if (opts.inline) inlineTexts.delete(opts.inline.file);
  }
  const name = projectName(opts, lookup, model.name as string | undefined, projectDir);
  return toProject({ name, projectDir, model, lookup, warnings, profiles: activeProfiles(opts, lookup), targeted: opts.services ?? [] });
}

interface Merged {
  name?: string;
  services: Record<string, Raw>;
  /** Which file a service came from, for messages after the merge. */
  origin: Record<string, Source>;
  networks: Raw;
  volumes: Raw;
  /** The top-level `x-berth` (Berth's own settings), later files' keys over earlier ones'; with where it was read. */
  berth?: { value: Raw; where: string };
}

function loadFiles(files: string[], projectDir: string, lookup: Lookup, warnings: ComposeWarning[], cwd: string, seen: Set<string>): Merged {
  const merged: Merged = { services: {}, origin: {}, networks: {}, volumes: {} };
  for (const file of files) {
    const { src, doc } = readFile(file, lookup, warnings, cwd);
    if (typeof doc.name === "string") merged.name = doc.name;
    if (doc["x-berth"] !== undefined) merged.berth = { value: { ...merged.berth?.value, ...(doc["x-berth"] as Raw) }, where: src.where(["x-berth"]) };
    for (const [svcName, svc] of Object.entries((doc.services ?? {}) as Raw)) {
      const expanded = expandService(svcName, (svc ?? {}) as Raw, src, projectDir);
      merged.services[svcName] = merged.services[svcName] ? mergeService(merged.services[svcName], expanded) : expanded;
      merged.origin[svcName] ??= src;
    }
    merged.networks = mergeNamed(merged.networks, doc.networks as Raw | undefined);
    merged.volumes = mergeNamed(merged.volumes, doc.volumes as Raw | undefined);
    for (const [i, entry] of ((doc.include ?? []) as unknown[]).entries()) includeProject(merged, entry, src, ["include", i], lookup, warnings, cwd, seen);
  }
  for (const svcName of Object.keys(merged.services)) merged.services[svcName] = resolveExtends(svcName, merged, lookup, warnings, cwd, []);
  return merged;
}

/** The texts of in-memory documents being loaded, by the name they go by (LoadOptions.inline). */
const inlineTexts = new Map<string, string>();

function readFile(file: string, lookup: Lookup, warnings: ComposeWarning[], cwd: string): { src: Source; doc: Raw } {
  let text: string;
  try {
    text = inlineTexts.get(file) ?? fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new NotFound(`cannot read the compose file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  const src = parseSource(text, file, cwd);
  if (typeof src.value !== "object" || src.value === null || Array.isArray(src.value)) {
    throw new InvalidArgument(`${src.shown}: a compose file is a mapping with a "services" key at the top`);
  }
  const unset = new Set<string>();
  const doc = interpolateTree(src.value, [], src, lookup, unset) as Raw;
  for (const name of unset) warnings.push({ where: src.shown, key: name, message: `The "${name}" variable is not set. Defaulting to a blank string.` });
  classify(doc, src, warnings);
  validateSchema(doc, src);
  return { src, doc };
}

/** Keys whose values Compose converts to the schema's number or boolean after interpolation. */
const CAST = new Set(["replicas", "scale", "cpus", "init", "read_only", "tty", "stdin_open", "privileged", "pids_limit", "retries", "target", "required", "disable", "external", "restart", "pids"]);
/** Maps whose values stay strings whatever they look like. */
const STRING_MAPS = new Set(["environment", "labels", "args"]);

function interpolateTree(v: unknown, p: Path, src: Source, lookup: Lookup, unset: Set<string>): unknown {
  if (typeof v === "string") {
    const out = interpolate(v, { lookup, onUnset: (n) => unset.add(n), where: `${src.where(p)}: ${p.join(".")}` });
    const key = p[p.length - 1];
    const parent = p[p.length - 2];
    if (out !== v && typeof key === "string" && CAST.has(key) && !STRING_MAPS.has(String(parent))) return cast(out);
    return out;
  }
  if (Array.isArray(v)) return v.map((x, i) => interpolateTree(x, [...p, i], src, lookup, unset));
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, interpolateTree(x, [...p, k], src, lookup, unset)]));
  }
  return v;
}

const cast = (s: string): unknown => (s === "true" ? true : s === "false" ? false : /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : s);

/** Warned keys are dropped (with a warning naming the line); refused keys are an error naming the line. */
function classify(doc: Raw, src: Source, warnings: ComposeWarning[]): void {
  check(doc, TOP_LEVEL, [], src, warnings);
  for (const [name, svc] of Object.entries((doc.services ?? {}) as Raw)) {
    if (!svc || typeof svc !== "object") continue;
    const p = ["services", name];
    check(svc, SERVICE, p, src, warnings);
    if (svc.deploy && typeof svc.deploy === "object") {
      check(svc.deploy, DEPLOY, [...p, "deploy"], src, warnings);
      if (svc.deploy.resources) {
        check(svc.deploy.resources, RESOURCES, [...p, "deploy", "resources"], src, warnings);
        if (svc.deploy.resources.limits) check(svc.deploy.resources.limits, LIMITS, [...p, "deploy", "resources", "limits"], src, warnings);
      }
    }
    if (svc.build && typeof svc.build === "object") check(svc.build, BUILD, [...p, "build"], src, warnings);
  }
  for (const [section, table] of [["networks", NETWORK], ["volumes", VOLUME]] as const) {
    for (const [name, def] of Object.entries((doc[section] ?? {}) as Raw)) if (def && typeof def === "object") check(def, table, [section, name], src, warnings);
  }
}

function check(obj: Raw, table: Record<string, Support>, p: Path, src: Source, warnings: ComposeWarning[]): void {
  for (const key of Object.keys(obj)) {
    if (key.startsWith("x-")) continue;
    const s = table[key];
    if (!s) continue; // unknown keys are the schema's to name
    const where = src.where([...p, key]);
    const dotted = [...p, key].join(".");
    if (s.level === "refused") {
      if (key === "network_mode" && obj[key] === "none") continue;
      throw new InvalidArgument(`${where}: ${dotted} is not supported by Berth: ${s.why}`);
    }
    if (s.level === "warned") {
      warnings.push({ where, key: dotted, message: `${dotted} is ignored: ${s.why}` });
      delete obj[key];
    }
  }
  if (typeof obj.driver === "string" && !["bridge", "local"].includes(obj.driver)) {
    throw new InvalidArgument(`${src.where([...p, "driver"])}: ${[...p, "driver"].join(".")} "${obj.driver}" is not supported by Berth: use the default driver`);
  }
}

function resolveExtends(name: string, merged: Merged, lookup: Lookup, warnings: ComposeWarning[], cwd: string, chain: string[]): Raw {
  const svc = merged.services[name] ?? {};
  if (!svc.extends) return svc;
  const key = `${svc.extends.file ?? ""}#${svc.extends.service}`;
  const src = merged.origin[name];
  if (chain.includes(key)) throw new InvalidArgument(`${src?.where(["services", name, "extends"]) ?? name}: extends makes a loop: ${[...chain, key].join(" -> ")}`);
  let base: Raw;
  if (svc.extends.file) {
    const other = loadFiles([realFile(svc.extends.file)], path.dirname(svc.extends.file), lookup, warnings, cwd, new Set());
    const found = other.services[svc.extends.service];
    if (!found) throw new InvalidArgument(`${src?.where(["services", name, "extends"])}: ${svc.extends.file} has no service "${svc.extends.service}"`);
    base = found;
  } else {
    if (!merged.services[svc.extends.service]) throw new InvalidArgument(`${src?.where(["services", name, "extends"])}: extends names a service "${svc.extends.service}" that is not in the file`);
    base = resolveExtends(svc.extends.service, merged, lookup, warnings, cwd, [...chain, key]);
  }
  const { extends: _e, ...own } = svc;
  const { extends: _b, ...inherited } = base;
  return mergeService(inherited, own);
}

function includeProject(merged: Merged, entry: unknown, src: Source, p: Path, lookup: Lookup, warnings: ComposeWarning[], cwd: string, seen: Set<string>): void {
  const e = (typeof entry === "string" ? { path: entry } : entry) as Raw;
  const paths: string[] = (Array.isArray(e.path) ? e.path : [e.path]).map((f: string) => resolvePath(src.dir, String(f)));
  const key = paths.join(",");
  if (seen.has(key)) throw new InvalidArgument(`${src.where(p)}: include makes a loop through ${key}`);
  const dir = e.project_directory ? resolvePath(src.dir, e.project_directory) : path.dirname(paths[0] ?? src.file);
  const envFiles = e.env_file ? (Array.isArray(e.env_file) ? e.env_file : [e.env_file]).map((f: string) => resolvePath(src.dir, f)) : [path.join(dir, ".env")];
  // The included project's own .env fills in what the including environment leaves unset.
  const included = envLookup({}, envFiles, e.env_file !== undefined);
  const inner = loadFiles(paths.map(realFile), dir, (n) => lookup(n) ?? included(n), warnings, cwd, new Set([...seen, key]));
  for (const [kind, target] of [["services", merged.services], ["networks", merged.networks], ["volumes", merged.volumes]] as const) {
    for (const [n, v] of Object.entries(inner[kind] as Raw)) {
      if (kind === "services" && target[n]) throw new InvalidArgument(`${src.where(p)}: the included ${paths[0]} defines service "${n}", which this project already has: rename one of them`);
      target[n] ??= v;
      const origin = inner.origin[n];
      if (kind === "services" && origin) merged.origin[n] = origin;
    }
  }
}

function findDefaultFile(cwd: string): string {
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    for (const f of DEFAULT_FILES) if (fs.existsSync(path.join(dir, f))) return path.join(dir, f);
    if (path.dirname(dir) === dir) break;
  }
  throw new NotFound(`no compose file here: none of ${DEFAULT_FILES.join(", ")} in ${cwd} or a directory above it; name one with -f FILE`);
}

function realFile(f: string): string {
  if (!fs.existsSync(f)) throw new NotFound(`the compose file ${f} does not exist`);
  confine(f, "the compose file");
  return f;
}

function envLookup(env: Record<string, string | undefined>, files: string[], explicit: boolean): Lookup {
  const outer: Lookup = (n) => env[n];
  const fromFiles = new Map<string, string>();
  for (const f of files) {
    if (!fs.existsSync(f)) {
      if (explicit) throw new NotFound(`the env file ${f} does not exist`);
      continue;
    }
    confine(f, "the env file");
    for (const [k, v] of parseEnvFile(fs.readFileSync(f, "utf8"), f, (n) => fromFiles.get(n) ?? outer(n))) fromFiles.set(k, v);
  }
  // As in Compose, the shell's environment wins over .env.
  return (n) => env[n] ?? fromFiles.get(n);
}

function activeProfiles(opts: LoadOptions, lookup: Lookup): string[] {
  const fromEnv = (lookup("COMPOSE_PROFILES") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  return [...new Set([...(opts.profiles ?? []), ...fromEnv])];
}

const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

function projectName(opts: LoadOptions, lookup: Lookup, fromFile: string | undefined, projectDir: string): string {
  const explicit = opts.projectName ?? lookup("COMPOSE_PROJECT_NAME") ?? fromFile;
  if (explicit !== undefined) {
    if (!PROJECT_NAME.test(explicit)) {
      throw new InvalidArgument(`"${explicit}" is not a valid project name: it must contain only lowercase letters, digits, dashes and underscores, and start with a letter or digit`);
    }
    return explicit;
  }
  const derived = path.basename(projectDir).toLowerCase().replace(/[^a-z0-9_-]/g, "").replace(/^[_-]+/, "");
  if (!derived) throw new InvalidArgument(`the directory name "${path.basename(projectDir)}" gives no project name: name the stack with -p NAME`);
  return derived;
}
