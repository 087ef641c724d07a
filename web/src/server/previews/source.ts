import fs from "node:fs";
import path from "node:path";
import { InvalidArgument, NotFound } from "@berth/core";
import { ComposeProject, ComposeService, DEFAULT_FILES, loadCompose, parseBerthYaml, type BerthYaml } from "@berth/core/compose";
import { inside } from "./build.js";
import { parseJsonc } from "./jsonc.js";

/** What a checkout says to run: the stack, which service takes the preview URL, and how to check it is up. */
export interface PreviewSource {
  /** Where it was read from: "compose.yaml", ".devcontainer/devcontainer.json", "Dockerfile". */
  from: string;
  config: BerthYaml & { ttlMs?: number };
  project: ComposeProject;
  web: { service: string; port: number; health?: { path: string; status?: number | undefined } | undefined };
  warnings: string[];
}

const MAX_CONFIG_BYTES = 1 << 20;

/** A file of the checkout, or undefined when absent; one that leaves the checkout (a symlink out) is refused. */
function repoFile(root: string, rel: string, what: string): string | undefined {
  const file = path.resolve(root, rel);
  if (!fs.existsSync(file)) return undefined;
  if (!inside(root, file)) throw new InvalidArgument(`${what} ${rel} is outside the repository: a preview reads only the repository's own files`);
  const st = fs.statSync(file);
  if (!st.isFile()) throw new InvalidArgument(`${what} ${rel} is not a regular file`);
  if (st.size > MAX_CONFIG_BYTES) throw new InvalidArgument(`${what} ${rel} is larger than 1 MiB`);
  return file;
}

/** The first port a Dockerfile EXPOSEs (variables are not expanded), if any. */
function exposedPort(dockerfile: string): number | undefined {
  const m = /^\s*EXPOSE\s+(\d{1,5})/im.exec(fs.readFileSync(dockerfile, "utf8"));
  return m ? Number(m[1]) : undefined;
}

/**
 * Reads what to run from a checkout: berth.yaml (optional), then a compose file, else a
 * `.devcontainer` set-up (build.dockerfile or image), else a Dockerfile (one service `web`).
 * `env` is what compose files interpolate (none for an untrusted source); `stack` names the project.
 */
export function readSource(root: string, stack: string, env: Record<string, string>): PreviewSource {
  const warnings: string[] = [];
  const cfgFile = repoFile(root, "berth.yaml", "berth.yaml") ?? repoFile(root, "berth.yml", "berth.yml");
  const config = cfgFile ? parseBerthYaml(fs.readFileSync(cfgFile, "utf8"), path.basename(cfgFile)) : {};
  let from: string;
  let project: ComposeProject;
  const composeFile = config.compose ? repoFile(root, config.compose, "the compose file (berth.yaml compose)") : DEFAULT_FILES.map((f) => repoFile(root, f, "the compose file")).find(Boolean);
  if (config.compose && !composeFile) throw new NotFound(`berth.yaml names the compose file ${config.compose}, which is not in the repository`);
  if (composeFile) {
    from = path.relative(root, composeFile);
    project = loadCompose({ cwd: root, files: [composeFile], projectName: stack, env, root });
    for (const w of project.warnings) warnings.push(`${w.where}: ${w.message}`);
  } else {
    const dev = config.dockerfile ? undefined : (repoFile(root, ".devcontainer/devcontainer.json", "devcontainer.json") ?? repoFile(root, ".devcontainer.json", "devcontainer.json"));
    const svc = dev ? fromDevcontainer(root, dev) : fromDockerfile(root, config.dockerfile ?? "Dockerfile");
    from = dev ? path.relative(root, dev) : (config.dockerfile ?? "Dockerfile");
    // A single service takes the preview's variables as its environment.
    svc.environment = { ...env, ...svc.environment };
    project = ComposeProject.parse({ name: stack, workingDir: root, services: { web: svc }, networks: { default: { external: false, labels: {} } }, volumes: {} });
  }
  const web = webOf(root, project, config, from);
  return { from, config, project, web, warnings };
}

function fromDockerfile(root: string, rel: string): ComposeService {
  const file = repoFile(root, rel, "the Dockerfile");
  if (!file) {
    throw new NotFound(`nothing to build: the repository has no berth.yaml naming what to run, no compose file (${DEFAULT_FILES.join(", ")}), no .devcontainer/devcontainer.json and no ${rel}`);
  }
  return { ...baseService("web"), build: { context: root, dockerfile: path.relative(root, file), args: {}, labels: {} } };
}

function fromDevcontainer(root: string, file: string): ComposeService {
  const where = path.relative(root, file);
  const doc = parseJsonc(fs.readFileSync(file, "utf8"), where) as { image?: unknown; build?: { dockerfile?: unknown; context?: unknown; args?: unknown; target?: unknown }; dockerfile?: unknown; containerEnv?: unknown; forwardPorts?: unknown; appPort?: unknown };
  const dir = path.dirname(file);
  const svc = baseService("web");
  const dockerfile = typeof doc.build?.dockerfile === "string" ? doc.build.dockerfile : typeof doc.dockerfile === "string" ? doc.dockerfile : undefined;
  if (dockerfile) {
    const context = path.resolve(dir, typeof doc.build?.context === "string" ? doc.build.context : ".");
    const df = path.resolve(dir, dockerfile);
    if (!fs.existsSync(context) || !inside(root, context)) throw new InvalidArgument(`${where}: build.context ${String(doc.build?.context ?? ".")} is not a directory inside the repository`);
    if (!fs.existsSync(df) || !inside(context, df)) throw new InvalidArgument(`${where}: build.dockerfile ${dockerfile} is not a file inside the build context`);
    const args = doc.build?.args && typeof doc.build.args === "object" ? Object.fromEntries(Object.entries(doc.build.args as Record<string, unknown>).map(([k, v]) => [k, String(v)])) : {};
    svc.build = { context, dockerfile: path.relative(context, df), args, labels: {}, ...(typeof doc.build?.target === "string" ? { target: doc.build.target } : {}) };
  } else if (typeof doc.image === "string") svc.image = doc.image;
  else throw new InvalidArgument(`${where}: a preview needs build.dockerfile or image in devcontainer.json (dockerComposeFile set-ups: point berth.yaml's compose at the compose file)`);
  if (doc.containerEnv && typeof doc.containerEnv === "object") svc.environment = Object.fromEntries(Object.entries(doc.containerEnv as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  const ports = [...(Array.isArray(doc.forwardPorts) ? doc.forwardPorts : []), ...(Array.isArray(doc.appPort) ? doc.appPort : doc.appPort !== undefined ? [doc.appPort] : [])];
  for (const p of ports) {
    const n = typeof p === "number" ? p : Number(/(\d+)$/.exec(String(p))?.[1]);
    if (Number.isInteger(n) && n > 0 && n < 65536) svc.expose.push(String(n));
  }
  return svc;
}

const baseService = (name: string): ComposeService => ComposeService.parse({ name });

/** The service and port the preview URL goes to: berth.yaml's web, else the first with a port, else `web`. */
function webOf(root: string, project: ComposeProject, config: BerthYaml, from: string): PreviewSource["web"] {
  const names = Object.keys(project.services);
  let service = config.web?.service;
  if (service && !project.services[service]) throw new InvalidArgument(`berth.yaml: web.service "${service}" is not a service of ${from} (it has ${names.join(", ")})`);
  service ??= names.find((n) => project.services[n]!.ports.length || project.services[n]!.expose.length) ?? (project.services.web ? "web" : undefined);
  if (!service) throw new InvalidArgument(`${from}: no service publishes or exposes a port and none is called web: name the one that takes the preview's traffic in berth.yaml (web: {service: NAME, port: PORT})`);
  const svc = project.services[service]!;
  let port = config.web?.port ?? svc.ports[0]?.target ?? (svc.expose[0] ? Number(/^(\d+)/.exec(svc.expose[0])?.[1]) : undefined);
  if (port === undefined && svc.build) {
    const df = path.resolve(svc.build.context, svc.build.dockerfile);
    if (fs.existsSync(df) && inside(root, df)) port = exposedPort(df);
  }
  if (!port) throw new InvalidArgument(`${from}: service "${service}" has no port to serve the preview on: publish or expose one, EXPOSE it in its Dockerfile, or set web.port in berth.yaml`);
  return { service, port, ...(config.web?.health ? { health: config.web.health } : {}) };
}
