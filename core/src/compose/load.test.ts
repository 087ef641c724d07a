import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadCompose } from "./load.js";

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** A project directory named `name` holding `files` (path → text). */
function project(files: Record<string, string>, name = "shop"): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "compose-"));
  dirs.push(root);
  const dir = path.join(root, name);
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

const load = (cwd: string, extra: Partial<Parameters<typeof loadCompose>[0]> = {}) => loadCompose({ cwd, env: {}, ...extra });

describe("compose loading", () => {
  it("interpolates ${VAR:-default}, .env and the shell's environment (which wins), and keeps $$ literal", () => {
    const dir = project({
      ".env": "TAG=1.2\nPORT=8080\n# a comment\nGREETING=\"hello ${WHO:-world}\"\n",
      "compose.yaml": [
        "services:",
        "  web:",
        "    image: busybox:${TAG}",
        "    command: sh -c 'echo $$HOME ${GREETING}'",
        "    ports: ['${PORT}:80']",
        "    environment:",
        "      MODE: ${MODE:-dev}",
        "      EMPTY: ${UNSET_VAR-}",
        "      FROM_SHELL:",
        "    deploy: { replicas: '${N:-2}' }",
      ].join("\n"),
    });
    const p = load(dir, { env: { PORT: "9090", FROM_SHELL: "yes" } });
    const web = p.services.web!;
    expect(p.name).toBe("shop");
    expect(web.image).toBe("busybox:1.2");
    expect(web.command).toEqual(["sh", "-c", "echo $HOME hello world"]);
    expect(web.ports).toEqual([{ target: 80, published: 9090, protocol: "tcp" }]);
    expect(web.environment).toEqual({ MODE: "dev", EMPTY: "", FROM_SHELL: "yes" });
    expect(web.replicas).toBe(2);
  });

  it("warns about an unset variable and fails on ${VAR:?message} naming the line", () => {
    const dir = project({ "compose.yaml": "services:\n  web:\n    image: busybox\n    environment:\n      A: $NOPE\n      B: ${DB_URL:?set DB_URL in .env}\n" });
    expect(() => load(dir)).toThrow(/compose\.yaml:6: .*required variable DB_URL is missing a value: set DB_URL in \.env/);
    const ok = project({ "compose.yaml": "services:\n  web:\n    image: busybox\n    environment:\n      A: $NOPE\n" });
    expect(load(ok).warnings.map((w) => w.message)).toContain('The "NOPE" variable is not set. Defaulting to a blank string.');
  });

  it("names the file, line and key of an unknown key, a refused key and a type error", () => {
    const typo = project({ "compose.yaml": "services:\n  web:\n    image: busybox\n    enviroment:\n      A: 1\n" });
    expect(() => load(typo)).toThrow(/^compose\.yaml:4: services\.web has an unknown key "enviroment"/);
    const priv = project({ "compose.yaml": "services:\n  web:\n    image: busybox\n\n    privileged: true\n" });
    expect(() => load(priv)).toThrow(/^compose\.yaml:5: services\.web\.privileged is not supported by Berth: it gives a container host-level power/);
    const badType = project({ "compose.yaml": "services:\n  web:\n    image: busybox\n    ports: 80\n" });
    expect(() => load(badType)).toThrow(/^compose\.yaml:4: services\.web\.ports must be array/);
    const secrets = project({ "compose.yaml": "services:\n  web:\n    image: busybox\nsecrets:\n  s:\n    file: ./s\n" });
    expect(() => load(secrets)).toThrow(/^compose\.yaml:4: secrets is not supported by Berth/);
  });

  it("warns with the line about keys it ignores, and drops them", () => {
    const dir = project({ "compose.yaml": "version: '3.8'\nservices:\n  web:\n    image: busybox\n    container_name: my-web\n    logging: { driver: json-file }\n" });
    const p = load(dir);
    expect(p.warnings.map((w) => `${w.where} ${w.key}`)).toEqual(["compose.yaml:1 version", "compose.yaml:5 services.web.container_name", "compose.yaml:6 services.web.logging"]);
  });

  it("merges override files as Compose does", () => {
    const dir = project({
      "compose.yaml": "services:\n  web:\n    image: busybox\n    command: [sleep, '1']\n    environment: [A=1, B=2]\n    ports: ['80:80']\n    volumes: ['data:/data', './src:/src']\nvolumes:\n  data: {}\n",
      "compose.override.yaml": "services:\n  web:\n    command: [sleep, '2']\n    environment: { B: '3', C: '4' }\n    ports: ['443:443']\n    volumes: ['./other:/src:ro']\n",
    });
    const p = load(dir, { files: ["compose.yaml", "compose.override.yaml"] });
    const web = p.services.web!;
    expect(web.command).toEqual(["sleep", "2"]);
    expect(web.environment).toEqual({ A: "1", B: "3", C: "4" });
    expect(web.ports.map((x) => x.target)).toEqual([80, 443]);
    expect(web.volumes).toEqual([
      { type: "volume", source: "data", target: "/data", readOnly: false, noCopy: false },
      { type: "bind", source: path.join(dir, "other"), target: "/src", readOnly: true, createHostPath: true },
    ]);
  });

  it("resolves extends from the same file and from another file, with that file's relative paths", () => {
    const dir = project({
      "base/common.yaml": "services:\n  app:\n    build: ./app\n    environment: { LEVEL: info }\n    healthcheck: { test: 'true', interval: 1m30s, timeout: 500ms, retries: 5 }\n",
      "compose.yaml": "services:\n  api:\n    extends: { file: base/common.yaml, service: app }\n    environment: { LEVEL: debug }\n  worker:\n    extends: api\n    command: work\n",
    });
    const p = load(dir);
    expect(p.services.api!.build?.context).toBe(path.join(dir, "base/app"));
    expect(p.services.api!.environment).toEqual({ LEVEL: "debug" });
    expect(p.services.api!.healthcheck).toMatchObject({ test: ["CMD-SHELL", "true"], intervalMs: 90_000, timeoutMs: 500, retries: 5 });
    expect(p.services.worker!.command).toEqual(["work"]);
    expect(p.services.worker!.build?.context).toBe(path.join(dir, "base/app"));
  });

  it("includes another project's services, networks and volumes, with its own .env", () => {
    const dir = project({
      "db/.env": "DB_TAG=15\n",
      "db/compose.yaml": "services:\n  db:\n    image: postgres:${DB_TAG}\n    volumes: ['pg:/var/lib/postgresql/data']\nvolumes:\n  pg: {}\n",
      "compose.yaml": "include:\n  - db/compose.yaml\nservices:\n  web:\n    image: busybox\n    depends_on:\n      db: { condition: service_healthy }\n",
    });
    const p = load(dir);
    expect(Object.keys(p.services).sort()).toEqual(["db", "web"]);
    expect(p.services.db!.image).toBe("postgres:15");
    expect(p.volumes.pg).toBeDefined();
    expect(p.services.web!.dependsOn).toEqual({ db: { condition: "service_healthy", required: true, restart: false } });
    const clash = project({ "db/compose.yaml": "services:\n  web:\n    image: a\n", "compose.yaml": "include: [db/compose.yaml]\nservices:\n  web:\n    image: b\n" });
    expect(() => load(clash)).toThrow(/compose\.yaml:1: the included .*defines service "web", which this project already has/);
  });

  it("applies profiles: off unless asked for or named, and a required dependency on a disabled one is an error", () => {
    const dir = project({ "compose.yaml": "services:\n  web:\n    image: busybox\n  debug:\n    image: busybox\n    profiles: [tools]\n" });
    expect(Object.keys(load(dir).services)).toEqual(["web"]);
    expect(Object.keys(load(dir, { profiles: ["tools"] }).services)).toEqual(["web", "debug"]);
    expect(Object.keys(load(dir, { env: { COMPOSE_PROFILES: "tools" } }).services)).toEqual(["web", "debug"]);
    expect(Object.keys(load(dir, { services: ["debug"] }).services)).toEqual(["web", "debug"]);
    const dep = project({ "compose.yaml": "services:\n  web:\n    image: busybox\n    depends_on: [debug]\n  debug:\n    image: busybox\n    profiles: [tools]\n" });
    expect(() => load(dep)).toThrow(/service "web" depends on "debug", which is not enabled: enable its profile with --profile tools/);
  });

  it("expands port and volume short syntax and checks references", () => {
    const dir = project({ "compose.yaml": "services:\n  web:\n    image: busybox\n    ports: ['127.0.0.1:8000-8001:80-81/udp', '3000', { target: 53, published: '5353', protocol: udp }]\n    volumes: ['/tmp:/host:ro', 'cache:/cache:nocopy']\n    tmpfs: /run\nvolumes:\n  cache:\n" });
    const web = load(dir).services.web!;
    expect(web.ports).toEqual([
      { target: 80, published: 8000, hostIp: "127.0.0.1", protocol: "udp" },
      { target: 81, published: 8001, hostIp: "127.0.0.1", protocol: "udp" },
      { target: 3000, protocol: "tcp" },
      { target: 53, published: 5353, protocol: "udp" },
    ]);
    expect(web.volumes.map((v) => v.type)).toEqual(["bind", "volume", "tmpfs"]);
    const undeclared = project({ "compose.yaml": "services:\n  web:\n    image: busybox\n    volumes: ['data:/data']\n" });
    expect(() => load(undeclared)).toThrow(/compose\.yaml:4: service "web" uses volume "data", which is not declared under the top-level volumes key/);
    const badPort = project({ "compose.yaml": "services:\n  web:\n    image: busybox\n    ports: ['80:abc']\n" });
    expect(() => load(badPort)).toThrow(/compose\.yaml:4: "80:abc" is not a port/);
  });

  it("names the project from -p, COMPOSE_PROJECT_NAME, the file's name key or the directory", () => {
    const dir = project({ "compose.yaml": "services:\n  web:\n    image: busybox\n" }, "My App");
    expect(load(dir).name).toBe("myapp");
    expect(load(dir, { env: { COMPOSE_PROJECT_NAME: "envname" } }).name).toBe("envname");
    expect(load(dir, { projectName: "demo" }).name).toBe("demo");
    expect(() => load(dir, { projectName: "Bad Name" })).toThrow(/"Bad Name" is not a valid project name/);
    const named = project({ "compose.yaml": "name: fromfile\nservices:\n  web:\n    image: busybox\n" });
    expect(load(named).name).toBe("fromfile");
  });

  it("finds compose.yaml in a parent directory, and says what to do when there is none", () => {
    const dir = project({ "compose.yaml": "services:\n  web:\n    image: busybox\n", "src/deep/.keep": "" });
    expect(load(path.join(dir, "src/deep")).name).toBe("shop");
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "compose-none-"));
    dirs.push(empty);
    expect(() => load(empty)).toThrow(/no compose file here: .*name one with -f FILE/);
  });

  it("reads restart, limits, stop settings and env_file", () => {
    const dir = project({
      "web.env": "FROM_FILE=1\nOVERRIDDEN=file\n",
      "compose.yaml": "services:\n  web:\n    image: busybox\n    env_file: web.env\n    environment: { OVERRIDDEN: inline }\n    restart: on-failure:3\n    stop_grace_period: 1m\n    stop_signal: SIGINT\n    init: true\n    deploy:\n      resources:\n        limits: { cpus: '0.5', memory: 256m, pids: 100 }\n",
    });
    const web = load(dir).services.web!;
    expect(web.environment).toEqual({ FROM_FILE: "1", OVERRIDDEN: "inline" });
    expect(web).toMatchObject({ restart: "on-failure", restartMaxRetries: 3, stopGracePeriodSec: 60, stopSignal: "SIGINT", init: true, limits: { cpus: 0.5, memory: 256 * 1024 * 1024, pids: 100 } });
  });
});

describe("x-berth", () => {
  it("freeze_after is a duration or off (none: the team's setting); an unknown x-berth key is warned by name; too short is refused", () => {
    const p = load(project({ "compose.yaml": "x-berth:\n  freeze_after: 30m\n  sleepy: true\nservices:\n  web:\n    image: busybox\n" }));
    expect(p.freezeAfterMs).toBe(30 * 60_000);
    expect(p.warnings.map((w) => w.key)).toContain("x-berth.sleepy");
    expect(load(project({ "compose.yaml": "services:\n  web:\n    image: busybox\n" })).freezeAfterMs).toBeUndefined();
    expect(() => load(project({ "compose.yaml": "x-berth: {freeze_after: 500ms}\nservices:\n  web:\n    image: busybox\n" }))).toThrow(/freeze_after: 500ms is too short/);
    for (const off of ["off", "0", "false"]) expect(load(project({ "compose.yaml": `x-berth: {freeze_after: ${off}}\nservices:\n  web:\n    image: busybox\n` })).freezeAfterMs).toBe(0);
  });
});
