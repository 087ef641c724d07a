import fs from "node:fs";
import { InvalidArgument, NotFound } from "../errors.js";
import { confine } from "./confine.js";
import { parseEnvFile } from "./env-file.js";
import type { Raw } from "./expand.js";
import type { Lookup } from "./interpolate.js";
import { ComposeProject, type ComposeMount, type ComposeService, type ComposeWarning, type Healthcheck } from "./model.js";
import type { Source } from "./source.js";
import { parseDuration, parseSize } from "./units.js";
import { parseFreezeAfter } from "../stack-freeze.js";
import { parseExtraHost, type ExtraHost } from "../network.js";

interface Input {
  name: string;
  projectDir: string;
  model: { services: Record<string, Raw>; origin: Record<string, Source>; networks: Raw; volumes: Raw; berth?: { value: Raw; where: string } };
  lookup: Lookup;
  warnings: ComposeWarning[];
  profiles: string[];
  targeted: string[];
}

/** The merged, expanded model to the typed project: profiles applied, references checked, units parsed. */
export function toProject(input: Input): ComposeProject {
  const { model, lookup } = input;
  const enabled = (name: string, svc: Raw) => {
    const profiles: string[] = svc.profiles ?? [];
    return profiles.length === 0 || input.targeted.includes(name) || input.profiles.includes("*") || profiles.some((p) => input.profiles.includes(p));
  };
  const services: Record<string, ComposeService> = {};
  for (const [name, svc] of Object.entries(model.services)) {
    if (!enabled(name, svc)) continue;
    const at = (...p: string[]) => model.origin[name]?.where(["services", name, ...p]) ?? `service ${name}`;
    services[name] = toService(name, svc, at, lookup, model);
  }
  for (const name of input.targeted) {
    if (!model.services[name]) throw new NotFound(`no such service: ${name} (the stack has ${Object.keys(model.services).join(", ") || "no services"})`);
  }
  for (const [name, svc] of Object.entries(services)) {
    for (const [dep, d] of Object.entries(svc.dependsOn)) {
      if (services[dep]) continue;
      if (!model.services[dep]) throw new InvalidArgument(`${model.origin[name]?.where(["services", name, "depends_on"])}: service "${name}" depends on "${dep}", which is not a service of this stack`);
      if (d.required) {
        const profiles = (model.services[dep].profiles ?? []).join(", ");
        throw new InvalidArgument(`service "${name}" depends on "${dep}", which is not enabled: enable its profile with --profile ${profiles.split(", ")[0]} (it is in ${profiles})`);
      }
      delete svc.dependsOn[dep];
    }
  }
  const networks = Object.fromEntries(Object.entries(model.networks).map(([k, v]) => [k, namedResource(v)]));
  if (Object.values(services).some((s) => s.networks.default) && !networks.default) networks.default = { external: false, labels: {} };
  const volumes = Object.fromEntries(Object.entries(model.volumes).map(([k, v]) => [k, namedResource(v)]));
  const berth = model.berth ? berthSettings(model.berth.value, model.berth.where, input.warnings) : {};
  return ComposeProject.parse({ name: input.name, workingDir: input.projectDir, services, networks, volumes, warnings: input.warnings, ...berth });
}

/** `x-berth:` Berth's own keys (Compose ignores x- keys): `freeze_after` (a duration, or off; else the team's idle time). Others are warned about. */
function berthSettings(raw: Raw, where: string, warnings: ComposeWarning[]): Pick<ComposeProject, "freezeAfterMs"> {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new InvalidArgument(`${where}: x-berth is a mapping (e.g. x-berth: {freeze_after: 30m})`);
  const out: Pick<ComposeProject, "freezeAfterMs"> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === "freeze_after") out.freezeAfterMs = parseFreezeAfter(value as string | number | boolean, `${where}.freeze_after`);
    else warnings.push({ where, key: `x-berth.${key}`, message: `x-berth.${key} is ignored: Berth knows only x-berth.freeze_after` });
  }
  return out;
}

function namedResource(v: unknown): { name?: string; external: boolean; labels: Record<string, string> } {
  const o = (v ?? {}) as Raw;
  const labels = Array.isArray(o.labels) ? Object.fromEntries(o.labels.map((l: string) => [l.split("=")[0], l.split("=").slice(1).join("=")])) : (o.labels ?? {});
  return { ...(o.name ? { name: String(o.name) } : {}), external: o.external === true || (typeof o.external === "object" && o.external !== null), labels };
}

function toService(name: string, s: Raw, at: (...p: string[]) => string, lookup: Lookup, model: Input["model"]): ComposeService {
  if (!s.image && !s.build) throw new InvalidArgument(`${at()}: service "${name}" has neither an image nor a build section: add one`);
  const environment: Record<string, string> = {};
  for (const f of (s.env_file ?? []) as { path: string; required: boolean }[]) {
    if (!fs.existsSync(f.path)) {
      if (f.required) throw new NotFound(`${at("env_file")}: the env file ${f.path} does not exist (mark it "required: false" if it is optional)`);
      continue;
    }
    confine(f.path, "the env_file");
    for (const [k, v] of parseEnvFile(fs.readFileSync(f.path, "utf8"), f.path, lookup)) environment[k] = v;
  }
  for (const [k, v] of Object.entries((s.environment ?? {}) as Record<string, string | null>)) {
    // `- FOO` with no value takes FOO from where the stack is loaded, and is left out when unset there.
    const value = v ?? lookup(k);
    if (value === undefined) delete environment[k];
    else environment[k] = value;
  }
  const networks: ComposeService["networks"] = {};
  const declared = model.networks;
  if (s.network_mode !== "none") {
    const asked = Object.keys(s.networks ?? {}).length ? (s.networks as Raw) : { default: {} };
    for (const [n, cfg] of Object.entries(asked)) {
      if (n !== "default" && !(n in declared)) throw new InvalidArgument(`${at("networks")}: service "${name}" uses network "${n}", which is not declared under the top-level networks key`);
      networks[n] = { aliases: ((cfg as Raw | null)?.aliases ?? []).map(String) };
    }
  }
  const volumes: ComposeMount[] = [];
  for (const v of (s.volumes ?? []) as Raw[]) {
    if (v.type === "volume") {
      if (v.source && !(v.source in model.volumes)) throw new InvalidArgument(`${at("volumes")}: service "${name}" uses volume "${v.source}", which is not declared under the top-level volumes key`);
      volumes.push({ type: "volume", ...(v.source ? { source: String(v.source) } : {}), target: String(v.target), readOnly: v.read_only === true, noCopy: v.volume?.nocopy === true });
    } else if (v.type === "bind") {
      volumes.push({ type: "bind", source: String(v.source), target: String(v.target), readOnly: v.read_only === true, createHostPath: v.bind?.create_host_path !== false });
    } else if (v.type === "tmpfs") {
      volumes.push({ type: "tmpfs", target: String(v.target), ...(v.tmpfs?.size !== undefined ? { size: parseSize(v.tmpfs.size, at("volumes")) } : {}), ...(v.tmpfs?.mode !== undefined ? { mode: Number(v.tmpfs.mode) } : {}) });
    } else {
      throw new InvalidArgument(`${at("volumes")}: volume type "${v.type}" is not supported by Berth: use volume, bind or tmpfs`);
    }
  }
  for (const t of (s.tmpfs ?? []) as string[]) {
    const [target = "", opts = ""] = String(t).split(":");
    const size = /size=([^,]+)/.exec(opts)?.[1];
    volumes.push({ type: "tmpfs", target, ...(size ? { size: parseSize(size, at("tmpfs")) } : {}) });
  }
  const limits = s.deploy?.resources?.limits ?? {};
  const restart = s.restart ? parseRestart(String(s.restart), at("restart")) : undefined;
  return {
    name,
    ...(s.image ? { image: String(s.image) } : {}),
    ...(s.build
      ? {
          build: {
            context: s.build.context,
            dockerfile: s.build.dockerfile ?? "Dockerfile",
            args: resolveArgs(s.build.args ?? {}, lookup),
            ...(s.build.target ? { target: s.build.target } : {}),
            labels: Object.fromEntries(Object.entries(s.build.labels ?? {}).map(([k, v]) => [k, String(v ?? "")])),
            ...(s.build.network ? { network: s.build.network } : {}),
          },
        }
      : {}),
    ...(s.pull_policy ? { pullPolicy: s.pull_policy === "if_not_present" ? "missing" : s.pull_policy } : {}),
    ...(s.command !== undefined && s.command !== null ? { command: s.command.map(String) } : {}),
    ...(s.entrypoint !== undefined && s.entrypoint !== null ? { entrypoint: s.entrypoint.map(String) } : {}),
    environment,
    ports: ((s.ports ?? []) as Raw[]).map((p) => ({ target: p.target, ...(p.published !== undefined && p.published !== "0" ? { published: Number(p.published) } : {}), ...(p.host_ip ? { hostIp: p.host_ip } : {}), protocol: p.protocol })),
    expose: s.expose ?? [],
    volumes,
    networks,
    ...(s.network_mode === "none" ? { networkMode: "none" as const } : {}),
    dependsOn: Object.fromEntries(Object.entries((s.depends_on ?? {}) as Raw).map(([k, v]) => [k, { condition: v?.condition ?? "service_started", required: v?.required !== false, restart: v?.restart === true }])),
    ...healthcheck(s.healthcheck, at),
    ...(restart ? restart : {}),
    ...(s.user !== undefined ? { user: String(s.user) } : {}),
    ...(s.working_dir ? { workingDir: s.working_dir } : {}),
    labels: Object.fromEntries(Object.entries((s.labels ?? {}) as Raw).map(([k, v]) => [k, String(v ?? "")])),
    ...(s.init !== undefined ? { init: s.init === true } : {}),
    ...(s.hostname ? { hostname: s.hostname } : {}),
    ...(s.stop_signal ? { stopSignal: s.stop_signal } : {}),
    ...(s.stop_grace_period !== undefined ? { stopGracePeriodSec: Math.ceil(parseDuration(s.stop_grace_period, at("stop_grace_period")) / 1000) } : {}),
    capAdd: s.cap_add ?? [],
    capDrop: s.cap_drop ?? [],
    ...(s.extra_hosts !== undefined ? { extraHosts: extraHosts(s.extra_hosts, at("extra_hosts")) } : {}),
    readOnly: s.read_only === true,
    tty: s.tty === true,
    stdinOpen: s.stdin_open === true,
    limits: {
      ...(limits.memory ?? s.mem_limit ? { memory: parseSize(limits.memory ?? s.mem_limit, at("deploy")) } : {}),
      ...(s.memswap_limit !== undefined ? { memorySwap: s.memswap_limit === -1 ? -1 : parseSize(s.memswap_limit, at("memswap_limit")) } : {}),
      ...(limits.cpus ?? s.cpus ? { cpus: Number(limits.cpus ?? s.cpus) } : {}),
      ...(limits.pids ?? s.pids_limit ? { pids: Number(limits.pids ?? s.pids_limit) } : {}),
    },
    replicas: Number(s.deploy?.replicas ?? s.scale ?? 1),
    profiles: s.profiles ?? [],
  } as ComposeService;
}

function resolveArgs(args: Record<string, string | null>, lookup: Lookup): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(args)) {
    const value = v ?? lookup(k);
    if (value !== undefined) out[k] = value;
  }
  return out;
}

function healthcheck(h: Raw | undefined, at: (...p: string[]) => string): Partial<ComposeService> {
  if (!h) return {};
  if (h.disable === true || (Array.isArray(h.test) && h.test[0] === "NONE")) return { healthcheckDisabled: true };
  if (!h.test) throw new InvalidArgument(`${at("healthcheck")}: a healthcheck needs a test (e.g. test: ["CMD", "curl", "-f", "http://localhost/"])`);
  const test = h.test as string[];
  if (!["CMD", "CMD-SHELL"].includes(test[0] ?? "")) throw new InvalidArgument(`${at("healthcheck", "test")}: a healthcheck test starts with "CMD" or "CMD-SHELL" (or is one string run by the shell)`);
  const hc: Partial<Healthcheck> = { test };
  if (h.interval) hc.intervalMs = parseDuration(h.interval, at("healthcheck", "interval"));
  if (h.timeout) hc.timeoutMs = parseDuration(h.timeout, at("healthcheck", "timeout"));
  if (h.start_period) hc.startPeriodMs = parseDuration(h.start_period, at("healthcheck", "start_period"));
  if (h.start_interval) hc.startIntervalMs = parseDuration(h.start_interval, at("healthcheck", "start_interval"));
  if (h.retries !== undefined) hc.retries = Number(h.retries);
  return { healthcheck: hc as Healthcheck };
}

function parseRestart(text: string, where: string): Pick<ComposeService, "restart" | "restartMaxRetries"> {
  const m = /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/.exec(text);
  if (!m) throw new InvalidArgument(`${where}: restart "${text}" is not a policy: use no, always, unless-stopped or on-failure[:N]`);
  return { restart: m[1] as ComposeService["restart"], ...(m[2] ? { restartMaxRetries: Number(m[2]) } : {}) };
}

/** extra_hosts as a list ("host:ip", "host=ip") or a mapping (host: ip, or host: [ip, …]). */
function extraHosts(v: unknown, where: string): ExtraHost[] {
  const specs = Array.isArray(v) ? v.map(String) : typeof v === "object" && v !== null ? Object.entries(v).flatMap(([h, ip]) => (Array.isArray(ip) ? ip : [ip]).map((x) => `${h}:${String(x)}`)) : [];
  return specs.map((spec) => {
    try {
      return parseExtraHost(spec);
    } catch (e) {
      throw new InvalidArgument(`${where}: ${(e as Error).message.replace(' for "--add-host"', "")}`);
    }
  });
}
