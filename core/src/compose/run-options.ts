import { ContainerOptions } from "../container-options.js";
import { InvalidArgument } from "../errors.js";
import type { MountSpec } from "../mounts.js";
import type { ComposeProject, ComposeService } from "./model.js";
import { builtImageName } from "./names.js";
import { LABEL, configHash, containerName, scopedName } from "./labels.js";

/** The networks a service joins, by their Berth name, each with the names it answers to there. */
export function serviceNetworks(project: ComposeProject, service: ComposeService): { name: string; aliases: string[] }[] {
  const keys = Object.keys(service.networks).length ? Object.keys(service.networks) : ["default"];
  return keys.map((key) => {
    const declared = project.networks[key];
    if (!declared && key !== "default") throw new InvalidArgument(`service "${service.name}" refers to undefined network ${key}: declare it under the top-level networks:`);
    // Every container answers to its service name on each of its networks, as Compose.
    const aliases = [service.name, ...(service.networks[key]?.aliases ?? [])];
    return { name: scopedName(project.name, key, declared?.name), aliases: [...new Set(aliases)] };
  });
}

function mount(project: ComposeProject, service: ComposeService, m: ComposeService["volumes"][number]): MountSpec {
  switch (m.type) {
    case "volume": {
      if (m.source === undefined) return { type: "volume", target: m.target, readOnly: m.readOnly, noCopy: m.noCopy, anonymous: false };
      const declared = project.volumes[m.source];
      if (!declared) throw new InvalidArgument(`service "${service.name}" refers to undefined volume ${m.source}: declare it under the top-level volumes:`);
      return { type: "volume", source: scopedName(project.name, m.source, declared.name), target: m.target, readOnly: m.readOnly, noCopy: m.noCopy, anonymous: false };
    }
    case "bind":
      return { type: "bind", source: m.source, target: m.target, readOnly: m.readOnly, createSource: m.createHostPath };
    case "tmpfs":
      return { type: "tmpfs", target: m.target, readOnly: false, exec: false, ...(m.size !== undefined ? { size: m.size } : {}), ...(m.mode !== undefined ? { mode: m.mode } : {}) };
  }
}

/**
 * The image a service runs: its `image:`, or for a service with only `build:` the
 * `<stack>-<service>` image the CLI built in the team before `up` (Compose v2's name).
 */
export function serviceImage(project: ComposeProject, service: ComposeService): string {
  if (service.image) return service.image;
  if (service.build) return builtImageName(project.name, service.name);
  throw new InvalidArgument(`service "${service.name}" has neither image nor build: give it one`);
}

/** One replica of a service as `berth run -d --name NAME IMAGE [CMD]` would ask for it. */
export interface ServiceRun {
  image: string;
  cmd?: string[];
  name: string;
  options: ContainerOptions;
  detach: true;
}

/**
 * One replica of a service as `berth run` would be asked for it: the same request, so the same
 * policy, host-path rules and quotas apply to a stack's containers as to any other.
 */
export function runRequest(project: ComposeProject, service: ComposeService, n: number): ServiceRun {
  const image = serviceImage(project, service);
  const nets = service.networkMode === "none" ? [] : serviceNetworks(project, service);
  const labels = {
    ...service.labels,
    [LABEL.project]: project.name,
    [LABEL.service]: service.name,
    [LABEL.number]: String(n),
    [LABEL.hash]: configHash(service),
    [LABEL.oneoff]: "False",
    [LABEL.workingDir]: project.workingDir,
  };
  const h = service.healthcheck;
  const options = ContainerOptions.parse({
    labels,
    ...(Object.keys(service.environment).length ? { env: Object.entries(service.environment).map(([k, v]) => `${k}=${v}`) } : {}),
    ...(service.entrypoint ? { entrypoint: service.entrypoint } : {}),
    ...(service.workingDir ? { workdir: service.workingDir } : {}),
    ...(service.user ? { user: service.user } : {}),
    ...(service.hostname ? { hostname: service.hostname } : {}),
    ...(service.init !== undefined ? { init: service.init } : {}),
    ...(service.stopSignal ? { stopSignal: service.stopSignal } : {}),
    ...(service.stopGracePeriodSec !== undefined ? { stopTimeout: service.stopGracePeriodSec } : {}),
    ...(service.restart && service.restart !== "no" ? { restart: { name: service.restart, maximumRetryCount: service.restart === "on-failure" ? (service.restartMaxRetries ?? 0) : 0 } } : {}),
    capAdd: service.capAdd,
    capDrop: service.capDrop,
    ...(service.extraHosts?.length ? { extraHosts: service.extraHosts } : {}),
    readOnly: service.readOnly,
    tty: service.tty,
    interactive: service.stdinOpen,
    ...(service.limits.memory !== undefined ? { memory: service.limits.memory } : {}),
    ...(service.limits.memorySwap !== undefined ? { memorySwap: service.limits.memorySwap } : {}),
    ...(service.limits.cpus !== undefined ? { cpus: service.limits.cpus } : {}),
    ...(service.limits.pids !== undefined ? { pidsLimit: service.limits.pids } : {}),
    ...(service.healthcheckDisabled ? { noHealthcheck: true } : {}),
    ...(h ? { healthcheck: { test: h.test, intervalMs: h.intervalMs, timeoutMs: h.timeoutMs, retries: h.retries, startPeriodMs: h.startPeriodMs, startIntervalMs: h.startIntervalMs } } : {}),
    ...(service.ports.length ? { publish: service.ports.map((p) => ({ ...(p.hostIp ? { hostIp: p.hostIp } : {}), hostPort: p.published ?? 0, containerPort: p.target, protocol: p.protocol })) } : {}),
    ...(service.networkMode === "none" ? { network: "none" } : { network: nets[0]!.name, networks: nets }),
    mounts: service.volumes.map((m) => mount(project, service, m)),
  });
  return { image, ...(service.command ? { cmd: service.command } : {}), name: containerName(project.name, service.name, n), options, detach: true };
}
