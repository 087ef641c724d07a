import fs from "node:fs";
import path from "node:path";
import { InvalidArgument } from "../errors.js";
import { loadCompose } from "../compose/load.js";
import type { ComposeProject, ComposeWarning } from "../compose/model.js";
import { parseJsonc } from "./jsonc.js";

/** Where the Dev Containers spec looks for the file, in its order. */
export const DEVCONTAINER_FILES = [".devcontainer/devcontainer.json", ".devcontainer.json"];

/** The keys Berth reads; any other key is listed as a warning naming it. */
const SUPPORTED = new Set([
  "name",
  "image",
  "build",
  "dockerFile",
  "context",
  "forwardPorts",
  "containerEnv",
  "remoteEnv",
  "mounts",
  "postCreateCommand",
  "workspaceFolder",
  "dockerComposeFile",
  "service",
  "runServices",
  "overrideCommand",
  "containerUser",
  "remoteUser",
  "$schema",
]);

/** A lifecycle command as the spec writes it: a shell string, an argv, or named commands run in parallel. */
export type LifecycleCommand = string | string[] | Record<string, string | string[]>;

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
  postCreateCommand?: LifecycleCommand;
  /** remoteEnv: the environment of the lifecycle command (and of the container, where Berth has no separate remote process). */
  remoteEnv: Record<string, string>;
  remoteUser?: string;
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
function mount(m: unknown, where: string): { type: string; source?: string; target: string; read_only?: boolean } {
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
  const raw = parsed;
  const warnings: ComposeWarning[] = [];
  for (const key of Object.keys(raw)) if (!SUPPORTED.has(key)) warnings.push({ where: file, key, message: `${key} is not supported by Berth and is ignored` });

  const workspaceFolder = typeof raw.workspaceFolder === "string" ? raw.workspaceFolder : `/workspaces/${path.basename(o.folder)}`;
  const environment = { ...strings(raw.containerEnv, `${file}: containerEnv`), ...strings(raw.remoteEnv, `${file}: remoteEnv`) };
  const volumes: unknown[] = (Array.isArray(raw.mounts) ? raw.mounts : raw.mounts === undefined ? [] : [raw.mounts]).map((m, i) => mount(m, `${file}: mounts[${i}]`));
  if (o.bindWorkspace) volumes.push({ type: "bind", source: o.folder, target: workspaceFolder });
  const named = Object.fromEntries(volumes.flatMap((v) => ((v as { type: string; source?: string }).type === "volume" && (v as { source?: string }).source ? [[(v as { source: string }).source, {}]] : [])));
  const expose = (Array.isArray(raw.forwardPorts) ? raw.forwardPorts : []).flatMap((p, i) => {
    if (typeof p === "number") return [String(p)];
    // "service:port" forwards another service's port: in a compose stack that port is already that service's own link.
    if (typeof p === "string" && /^[\w.-]+:\d+$/.test(p)) {
      warnings.push({ where: file, key: `forwardPorts[${i}]`, message: `forwardPorts "${p}" is not forwarded: the service's port has its own port link (berth port-link ls)` });
      return [];
    }
    throw new InvalidArgument(`${file}: forwardPorts[${i}]: ${JSON.stringify(p)} is not a port: use a number or "service:port"`);
  });

  let service: string;
  if (raw.dockerComposeFile !== undefined) {
    // A compose stack: the files as Compose reads them, with the dev container's settings over `service`'s own.
    if (typeof raw.service !== "string") throw new InvalidArgument(`${file}: dockerComposeFile needs "service": the compose service that is the dev container`);
    service = raw.service;
    const files = (Array.isArray(raw.dockerComposeFile) ? raw.dockerComposeFile : [raw.dockerComposeFile]).map((f) => path.resolve(dir, String(f)));
    // Named after the folder (-p aside), not after .devcontainer/ where the compose file sits.
    const folderName = path.basename(o.folder).toLowerCase().replace(/[^a-z0-9_-]/g, "").replace(/^[_-]+/, "");
    const base = loadCompose({ cwd: o.folder, env: o.env, files, ...(o.projectName || folderName ? { projectName: o.projectName ?? folderName } : {}) });
    const svc = base.services[service];
    if (!svc) throw new InvalidArgument(`${file}: service "${service}" is not in ${files.map((f) => path.relative(o.folder, f)).join(", ")} (it has ${Object.keys(base.services).join(", ")})`);
    const extraVolumes = volumes.map((v) => v as { type: "bind" | "volume" | "tmpfs"; source?: string; target: string; read_only?: boolean });
    svc.environment = { ...svc.environment, ...environment };
    svc.expose = [...new Set([...svc.expose, ...expose])];
    for (const v of extraVolumes) {
      if (v.type === "bind") svc.volumes.push({ type: "bind", source: path.resolve(dir, v.source ?? ""), target: v.target, readOnly: !!v.read_only, createHostPath: false });
      else if (v.type === "tmpfs") svc.volumes.push({ type: "tmpfs", target: v.target });
      else {
        if (v.source) base.volumes[v.source] ??= { external: false, labels: {} };
        svc.volumes.push({ type: "volume", ...(v.source ? { source: v.source } : {}), target: v.target, readOnly: !!v.read_only, noCopy: false });
      }
    }
    if (typeof raw.containerUser === "string") svc.user = raw.containerUser;
    if (Array.isArray(raw.runServices)) for (const name of Object.keys(base.services)) if (name !== service && !raw.runServices.includes(name)) delete base.services[name];
    base.warnings.push(...warnings);
    return plan(base);
  }

  service = "dev";
  const svc: Record<string, unknown> = { environment, volumes, ...(expose.length ? { expose } : {}) };
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
    inline: { file: found, text: JSON.stringify(doc, null, 2), dir: o.folder },
  });
  project.warnings.push(...warnings);
  return plan(project);

  function plan(project: ComposeProject): DevcontainerPlan {
    return {
      project,
      service,
      file,
      workspaceFolder,
      folder: o.folder,
      bound: o.bindWorkspace,
      ...(raw.postCreateCommand !== undefined ? { postCreateCommand: raw.postCreateCommand as LifecycleCommand } : {}),
      remoteEnv: strings(raw.remoteEnv, `${file}: remoteEnv`),
      ...(typeof raw.remoteUser === "string" ? { remoteUser: raw.remoteUser } : {}),
    };
  }
}
