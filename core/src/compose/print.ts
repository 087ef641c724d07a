import { stringify } from "yaml";
import type { ComposeProject, ComposeService } from "./model.js";

/** A loaded project back in compose's own long syntax (what `stack config` prints, as `compose config` does). */
export function toComposeDocument(p: ComposeProject): Record<string, unknown> {
  const services = Object.fromEntries(Object.entries(p.services).map(([name, s]) => [name, serviceDoc(s)]));
  const doc: Record<string, unknown> = { name: p.name, services };
  if (Object.keys(p.networks).length) doc.networks = Object.fromEntries(Object.entries(p.networks).map(([k, v]) => [k, resourceDoc(p.name, k, v)]));
  if (Object.keys(p.volumes).length) doc.volumes = Object.fromEntries(Object.entries(p.volumes).map(([k, v]) => [k, resourceDoc(p.name, k, v)]));
  if (p.freezeAfterMs !== undefined) doc["x-berth"] = { freeze_after: p.freezeAfterMs ? `${p.freezeAfterMs / 1000}s` : "off" };
  return doc;
}

export function toComposeYaml(p: ComposeProject): string {
  return stringify(toComposeDocument(p), { lineWidth: 0 });
}

function resourceDoc(project: string, key: string, v: { name?: string; external: boolean; labels: Record<string, string> }) {
  return { name: v.name ?? (v.external ? key : `${project}_${key}`), ...(v.external ? { external: true } : {}), ...(Object.keys(v.labels).length ? { labels: v.labels } : {}) };
}

function serviceDoc(s: ComposeService): Record<string, unknown> {
  const d: Record<string, unknown> = {};
  if (s.build) d.build = { context: s.build.context, dockerfile: s.build.dockerfile, ...(Object.keys(s.build.args).length ? { args: s.build.args } : {}), ...(s.build.target ? { target: s.build.target } : {}), ...(s.build.network ? { network: s.build.network } : {}) };
  if (s.image) d.image = s.image;
  if (s.pullPolicy) d.pull_policy = s.pullPolicy;
  if (s.entrypoint) d.entrypoint = s.entrypoint;
  if (s.command) d.command = s.command;
  if (Object.keys(s.environment).length) d.environment = s.environment;
  if (s.ports.length) d.ports = s.ports.map((p) => ({ mode: "ingress", ...(p.hostIp ? { host_ip: p.hostIp } : {}), target: p.target, ...(p.published !== undefined ? { published: String(p.published) } : {}), protocol: p.protocol }));
  if (s.expose.length) d.expose = s.expose;
  if (s.volumes.length) {
    d.volumes = s.volumes.map((v) =>
      v.type === "volume"
        ? { type: "volume", ...(v.source ? { source: v.source } : {}), target: v.target, ...(v.readOnly ? { read_only: true } : {}), ...(v.noCopy ? { volume: { nocopy: true } } : {}) }
        : v.type === "bind"
          ? { type: "bind", source: v.source, target: v.target, ...(v.readOnly ? { read_only: true } : {}), bind: { create_host_path: v.createHostPath } }
          : { type: "tmpfs", target: v.target, ...(v.size !== undefined ? { tmpfs: { size: v.size } } : {}) },
    );
  }
  if (s.networkMode) d.network_mode = s.networkMode;
  else d.networks = Object.fromEntries(Object.entries(s.networks).map(([k, v]) => [k, v.aliases.length ? { aliases: v.aliases } : null]));
  if (Object.keys(s.dependsOn).length) d.depends_on = s.dependsOn;
  if (s.healthcheckDisabled) d.healthcheck = { disable: true };
  else if (s.healthcheck) {
    const h = s.healthcheck;
    d.healthcheck = { test: h.test, interval: duration(h.intervalMs), timeout: duration(h.timeoutMs), retries: h.retries, start_period: duration(h.startPeriodMs), start_interval: duration(h.startIntervalMs) };
  }
  if (s.restart) d.restart = s.restart === "on-failure" && s.restartMaxRetries !== undefined ? `on-failure:${s.restartMaxRetries}` : s.restart;
  if (s.user) d.user = s.user;
  if (s.workingDir) d.working_dir = s.workingDir;
  if (Object.keys(s.labels).length) d.labels = s.labels;
  if (s.init !== undefined) d.init = s.init;
  if (s.hostname) d.hostname = s.hostname;
  if (s.stopSignal) d.stop_signal = s.stopSignal;
  if (s.stopGracePeriodSec !== undefined) d.stop_grace_period = `${s.stopGracePeriodSec}s`;
  if (s.capAdd.length) d.cap_add = s.capAdd;
  if (s.capDrop.length) d.cap_drop = s.capDrop;
  if (s.extraHosts?.length) d.extra_hosts = s.extraHosts.map((h) => `${h.host}=${h.ip}`);
  if (s.readOnly) d.read_only = true;
  if (s.tty) d.tty = true;
  if (s.stdinOpen) d.stdin_open = true;
  const l = s.limits;
  if (l.cpus !== undefined || l.memory !== undefined || l.pids !== undefined || s.replicas !== 1) {
    d.deploy = {
      ...(s.replicas !== 1 ? { replicas: s.replicas } : {}),
      ...(l.cpus !== undefined || l.memory !== undefined || l.pids !== undefined ? { resources: { limits: { ...(l.cpus !== undefined ? { cpus: String(l.cpus) } : {}), ...(l.memory !== undefined ? { memory: String(l.memory) } : {}), ...(l.pids !== undefined ? { pids: l.pids } : {}) } } } : {}),
    };
  }
  if (l.memorySwap !== undefined) d.memswap_limit = l.memorySwap;
  if (s.profiles.length) d.profiles = s.profiles;
  return d;
}

function duration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
