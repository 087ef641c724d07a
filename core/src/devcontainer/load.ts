import fs from "node:fs";
import path from "node:path";
import { InvalidArgument } from "../errors.js";
import { loadCompose } from "../compose/load.js";
import type { ComposeProject, ComposeWarning } from "../compose/model.js";
import { parseJsonc } from "./jsonc.js";
import { featureUses, type FeatureUse } from "./features.js";
import { LIFECYCLE_HOOKS, lifecycleSteps, type LifecycleHook, type LifecycleStep } from "./lifecycle.js";
import { forwardedPorts, type ForwardedPort } from "./ports.js";
import { CONTAINER_ENV, escapeDollars, substituteContainer, substituteLocal } from "./variables.js";

/** Where the Dev Containers spec looks for the file, in its order. */
export const DEVCONTAINER_FILES = [".devcontainer/devcontainer.json", ".devcontainer.json"];

/** The keys Berth reads; any other key is listed as a warning naming it. */
const SUPPORTED = new Set([
  "name",
  "initializeCommand",
  "image",
  "build",
  "dockerFile",
  "context",
  "forwardPorts",
  "containerEnv",
  "remoteEnv",
  "mounts",
  "onCreateCommand",
  "updateContentCommand",
  "postCreateCommand",
  "postStartCommand",
  "postAttachCommand",
  "portsAttributes",
  "features",
  "overrideFeatureInstallOrder",
  "customizations",
  "workspaceFolder",
  "dockerComposeFile",
  "service",
  "runServices",
  "overrideCommand",
  "init",
  "capAdd",
  "privileged",
  "securityOpt",
  "containerUser",
  "remoteUser",
  "$schema",
]);

export interface DevcontainerPlan {
  project: ComposeProject;
  /** The service that is the dev container: it gets the workspace, and the lifecycle command runs in it. */
  service: string;
  /** The file read, relative to the folder (for messages). */
  file: string;
  /** Where the folder appears in the dev container. */
  workspaceFolder: string;
  /** The folder on this machine (bind-mounted, or copied in when a bind is not allowed). */
  folder: string;
  /** Whether the plan bind-mounts the folder (else the caller copies it in after create). */
  bound: boolean;
  /**
   * Whether the folder goes into the dev container at all: not for a compose service with no
   * workspaceFolder (the reference leaves the workspace to the compose file, and works in /).
   */
  withWorkspace: boolean;
  /** Each lifecycle hook's commands: groups run one after another (features' first), a group's processes in parallel. */
  lifecycle: Record<LifecycleHook, LifecycleStep[][]>;
  /** remoteEnv: the environment of the lifecycle commands and `dev exec` (and of the container, where Berth has no separate remote process). */
  remoteEnv: Record<string, string>;
  remoteUser?: string;
  containerUser?: string;
  /** The features to install over the dev container's image, in the order written. */
  features: FeatureUse[];
  /** overrideFeatureInstallOrder: features (without version) to install first, in this order. */
  featureOrder: string[];
  /** forwardPorts of the dev container (numbers), with their label and visibility. */
  ports: ForwardedPort[];
  /** What Berth read, in the spec's keys (variables substituted, paths as written): `berth dev read-configuration`. */
  configuration: Record<string, unknown>;
}

/** The devcontainer.json of this folder, if it has one. */
export function findDevcontainer(folder: string): string | undefined {
  return DEVCONTAINER_FILES.map((f) => path.join(folder, f)).find((f) => fs.existsSync(f));
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function strings(v: unknown, where: string): Record<string, string> {
  if (v === undefined) return {};
  if (!isRecord(v)) throw new InvalidArgument(`${where}: a mapping of names to strings`);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
}

/** A `mounts` entry ("source=a,target=/b,type=volume" or {source, target, type}) as a compose volume. */
export function mount(m: unknown, where: string): { type: string; source?: string; target: string; read_only?: boolean } {
  let o: Record<string, string>;
  if (typeof m === "string") {
    o = Object.fromEntries(
      m.split(",").map((kv) => {
        const [k, ...rest] = kv.split("=");
        return [k!.trim().toLowerCase(), rest.join("=").trim()];
      }),
    );
  } else if (isRecord(m)) o = Object.fromEntries(Object.entries(m).map(([k, v]) => [k.toLowerCase(), String(v)]));
  else throw new InvalidArgument(`${where}: a mount is "source=…,target=…,type=bind|volume" or an object with those keys`);
  const target = o.target ?? o.destination ?? o.dst;
  const type = o.type ?? "volume";
  if (!target) throw new InvalidArgument(`${where}: the mount has no target`);
  if (!["bind", "volume", "tmpfs"].includes(type)) throw new InvalidArgument(`${where}: mount type "${type}" is not supported: use bind, volume or tmpfs`);
  return { type, ...(o.source ?? o.src ? { source: o.source ?? o.src } : {}), target, ...(o.readonly !== undefined || o.ro !== undefined ? { read_only: true } : {}) };
}

/** Mounts (as `mount` reads them) added to a service of a read project; a bind's source is from `dir`. */
export function addMounts(project: ComposeProject, service: string, mounts: ReturnType<typeof mount>[], dir: string): void {
  const svc = project.services[service]!;
  for (const v of mounts) {
    if (v.type === "bind") svc.volumes.push({ type: "bind", source: path.resolve(dir, v.source ?? ""), target: v.target, readOnly: !!v.read_only, createHostPath: false });
    else if (v.type === "tmpfs") svc.volumes.push({ type: "tmpfs", target: v.target });
    else {
      if (v.source) project.volumes[v.source] ??= { external: false, labels: {} };
      svc.volumes.push({ type: "volume", ...(v.source ? { source: v.source } : {}), target: v.target, readOnly: !!v.read_only, noCopy: false });
    }
  }
}

/**
 * The folder's initializeCommand (local variables substituted): it runs on the machine that runs
 * `dev up`, in the folder, before anything else is read or made (it may write what the rest needs,
 * e.g. a .env file for the compose file), as the reference CLI runs it on its host.
 */
export function initializeSteps(o: { folder: string; env: Record<string, string | undefined> }): LifecycleStep[] {
  const found = findDevcontainer(o.folder);
  if (!found) throw new InvalidArgument(`no ${DEVCONTAINER_FILES.join(" or ")} in ${o.folder}`);
  const file = path.relative(o.folder, found);
  const parsed = parseJsonc(fs.readFileSync(found, "utf8"), file);
  if (!isRecord(parsed)) throw new InvalidArgument(`${file}: devcontainer.json is an object`);
  return lifecycleSteps("initializeCommand", substituteLocal(parsed, { env: o.env, folder: o.folder }).initializeCommand, file);
}

/**
 * Reads a folder's devcontainer.json into a stack: `image` or `build` (one service, "dev"), or
 * `dockerComposeFile` + `service` (that compose project, its `service` being the dev container);
 * forwardPorts, containerEnv, remoteEnv, mounts, workspaceFolder with the folder bind-mounted there
 * (`bindWorkspace`; else the caller copies it in), containerUser. Keys Berth does not read are
 * warnings naming them.
 */
export function loadDevcontainer(o: { folder: string; env: Record<string, string | undefined>; projectName?: string; bindWorkspace: boolean }): DevcontainerPlan {
  const found = findDevcontainer(o.folder);
  if (!found) throw new InvalidArgument(`no ${DEVCONTAINER_FILES.join(" or ")} in ${o.folder}`);
  const file = path.relative(o.folder, found);
  const dir = path.dirname(found);
  const parsed = parseJsonc(fs.readFileSync(found, "utf8"), file);
  if (!isRecord(parsed)) throw new InvalidArgument(`${file}: devcontainer.json is an object`);
  // Variables as the reference CLI substitutes them on reading; ${containerWorkspaceFolder} once that is known.
  let raw = substituteLocal(parsed, { env: o.env, folder: o.folder });
  const warnings: ComposeWarning[] = [];
  for (const key of Object.keys(raw)) if (!SUPPORTED.has(key)) warnings.push({ where: file, key, message: `${key} is not supported by Berth and is ignored` });

  const compose = raw.dockerComposeFile !== undefined;
  // The reference's defaults: /workspaces/<folder> for an image or build, / for a compose service.
  const workspaceFolder = typeof raw.workspaceFolder === "string" ? raw.workspaceFolder : compose ? "/" : `/workspaces/${path.basename(o.folder)}`;
  raw = substituteContainer(raw, workspaceFolder);
  const withWorkspace = !compose || typeof raw.workspaceFolder === "string";
  const lifecycle = Object.fromEntries(LIFECYCLE_HOOKS.map((h) => [h, [lifecycleSteps(h, raw[h], file)].filter((g) => g.length)])) as Record<LifecycleHook, LifecycleStep[][]>;
  const features = featureUses(raw.features, dir, file);
  const customizations = isRecord(raw.customizations) ? raw.customizations : {};
  // remoteEnv joins the container's environment, except what names the container's own (${containerEnv:…}): that is resolved at each exec.
  const environment = { ...strings(raw.containerEnv, `${file}: containerEnv`), ...Object.fromEntries(Object.entries(strings(raw.remoteEnv, `${file}: remoteEnv`)).filter(([, v]) => !CONTAINER_ENV.test(v))) };
  const volumes: unknown[] = (Array.isArray(raw.mounts) ? raw.mounts : raw.mounts === undefined ? [] : [raw.mounts]).map((m, i) => mount(m, `${file}: mounts[${i}]`));
  if (o.bindWorkspace && withWorkspace) volumes.push({ type: "bind", source: o.folder, target: workspaceFolder });
  const named = Object.fromEntries(volumes.flatMap((v) => ((v as { type: string; source?: string }).type === "volume" && (v as { source?: string }).source ? [[(v as { source: string }).source, {}]] : [])));
  const numbers: number[] = [];
  const expose = (Array.isArray(raw.forwardPorts) ? raw.forwardPorts : []).flatMap((p, i) => {
    if (typeof p === "number" && Number.isInteger(p) && p > 0 && p < 65536) {
      numbers.push(p);
      return [String(p)];
    }
    // "service:port" forwards another service's port: in a compose stack that port is already that service's own link.
    if (typeof p === "string" && /^[\w.-]+:\d+$/.test(p)) {
      warnings.push({ where: file, key: `forwardPorts[${i}]`, message: `forwardPorts "${p}" is not forwarded: the service's port has its own port link (berth port-link ls)` });
      return [];
    }
    throw new InvalidArgument(`${file}: forwardPorts[${i}]: ${JSON.stringify(p)} is not a port: use a number or "service:port"`);
  });
  const ports = forwardedPorts(numbers, raw.portsAttributes, customizations.berth, file);
  // What the container needs: init and capAdd as Compose's; privileged never (it would be the host's).
  if (raw.privileged === true) throw new InvalidArgument(`${file}: privileged mode is not given by Berth (a privileged container reaches the host's devices and kernel): remove "privileged", and add only the capabilities needed with "capAdd"`);
  if (raw.capAdd !== undefined && (!Array.isArray(raw.capAdd) || raw.capAdd.some((c) => typeof c !== "string"))) throw new InvalidArgument(`${file}: capAdd is a list of capability names, e.g. ["SYS_PTRACE"]`);
  const capAdd = (raw.capAdd ?? []) as string[];
  if (raw.securityOpt !== undefined) warnings.push({ where: file, key: "securityOpt", message: "securityOpt is not supported by Berth and is ignored (the default seccomp profile stays)" });

  let service: string;
  if (compose) {
    // A compose stack: the files as Compose reads them, with the dev container's settings over `service`'s own.
    if (typeof raw.service !== "string") throw new InvalidArgument(`${file}: dockerComposeFile needs "service": the compose service that is the dev container`);
    service = raw.service;
    const files = (Array.isArray(raw.dockerComposeFile) ? raw.dockerComposeFile : [raw.dockerComposeFile]).map((f) => path.resolve(dir, String(f)));
    // Named after the folder (-p aside), not after .devcontainer/ where the compose file sits.
    const folderName = path.basename(o.folder).toLowerCase().replace(/[^a-z0-9_-]/g, "").replace(/^[_-]+/, "");
    const base = loadCompose({ cwd: o.folder, env: o.env, files, ...(o.projectName || folderName ? { projectName: o.projectName ?? folderName } : {}) });
    const svc = base.services[service];
    if (!svc) throw new InvalidArgument(`${file}: service "${service}" is not in ${files.map((f) => path.relative(o.folder, f)).join(", ")} (it has ${Object.keys(base.services).join(", ")})`);
    svc.environment = { ...svc.environment, ...environment };
    svc.expose = [...new Set([...svc.expose, ...expose])];
    if (raw.init === true) svc.init = true;
    svc.capAdd = [...new Set([...svc.capAdd, ...capAdd])];
    addMounts(base, service, volumes as ReturnType<typeof mount>[], dir);
    if (typeof raw.containerUser === "string") svc.user = raw.containerUser;
    if (Array.isArray(raw.runServices)) for (const name of Object.keys(base.services)) if (name !== service && !raw.runServices.includes(name)) delete base.services[name];
    base.warnings.push(...warnings);
    return plan(base);
  }

  service = "dev";
  const svc: Record<string, unknown> = { environment, volumes, ...(expose.length ? { expose } : {}), ...(raw.init === true ? { init: true } : {}), ...(capAdd.length ? { cap_add: capAdd } : {}) };
  const build = isRecord(raw.build) ? raw.build : typeof raw.dockerFile === "string" ? { dockerfile: raw.dockerFile, context: raw.context } : undefined;
  if (build) {
    // Paths in devcontainer.json's build are from the folder of devcontainer.json.
    const context = path.resolve(dir, typeof build.context === "string" ? build.context : ".");
    const dockerfile = path.resolve(dir, typeof build.dockerfile === "string" ? build.dockerfile : "Dockerfile");
    svc.build = { context, dockerfile: path.relative(context, dockerfile), ...(isRecord(build.args) ? { args: strings(build.args, `${file}: build.args`) } : {}), ...(typeof build.target === "string" ? { target: build.target } : {}) };
    for (const k of Object.keys(build)) if (!["context", "dockerfile", "args", "target"].includes(k)) warnings.push({ where: file, key: `build.${k}`, message: `build.${k} is not supported by Berth and is ignored` });
  }
  if (typeof raw.image === "string") svc.image = raw.image;
  if (!svc.image && !svc.build) throw new InvalidArgument(`${file}: give the dev container an "image", a "build" (with a dockerfile) or a "dockerComposeFile"`);
  // As the reference CLI: the container runs a command that waits, so it stays up for the tools (overrideCommand, default true).
  if (raw.overrideCommand !== false) svc.command = ["/bin/sh", "-c", "echo Container started; trap 'exit 0' TERM; while sleep 1; do :; done"];
  if (typeof raw.containerUser === "string") svc.user = raw.containerUser;
  svc.working_dir = workspaceFolder;
  const doc = { services: { [service]: svc }, ...(Object.keys(named).length ? { volumes: named } : {}) };
  const project = loadCompose({
    cwd: o.folder,
    env: o.env,
    // Named as Compose names a stack: -p, else the folder's name.
    ...(o.projectName ? { projectName: o.projectName } : {}),
    // The values are devcontainer.json's, already substituted: nothing in them is Compose's to interpolate.
    inline: { file: found, text: JSON.stringify(escapeDollars(doc), null, 2), dir: o.folder },
  });
  project.warnings.push(...warnings);
  return plan(project);

  function plan(project: ComposeProject): DevcontainerPlan {
    const remoteEnv = strings(raw.remoteEnv, `${file}: remoteEnv`);
    const users = {
      ...(typeof raw.remoteUser === "string" ? { remoteUser: raw.remoteUser } : {}),
      ...(typeof raw.containerUser === "string" ? { containerUser: raw.containerUser } : {}),
    };
    const svc = project.services[service]!;
    // Berth's reading in the spec's own keys (variables substituted), for comparison with the reference CLI's:
    // the keys it reads as written, and the build as Berth resolved it.
    const configuration: Record<string, unknown> = Object.fromEntries(Object.entries(raw).filter(([k]) => SUPPORTED.has(k) && k !== "$schema"));
    if (svc.build && !compose) {
      const { context, dockerfile, args, target } = svc.build;
      configuration.build = { dockerfile: path.relative(dir, path.resolve(context, dockerfile)), context: path.relative(dir, context) || ".", ...(Object.keys(args).length ? { args } : {}), ...(target ? { target } : {}) };
    }
    const featureOrder = raw.overrideFeatureInstallOrder === undefined ? [] : raw.overrideFeatureInstallOrder;
    if (!Array.isArray(featureOrder) || featureOrder.some((x) => typeof x !== "string")) throw new InvalidArgument(`${file}: overrideFeatureInstallOrder is a list of feature ids (without their version)`);
    return { project, service, file, workspaceFolder, folder: o.folder, bound: o.bindWorkspace && withWorkspace, withWorkspace, lifecycle, remoteEnv, ...users, features, featureOrder: featureOrder as string[], ports, configuration };
  }
}
