import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { ROOT } from "./harness.js";

// `berth stack config` reads compose files on the user's machine, as `docker compose config` does.
// The peer is Debian's docker-compose 1.29 reading the same files: both must agree on what each
// service is (image, command, environment after interpolation, ports, volumes, dependencies…).
const CLI = path.join(ROOT, "cli/bin/berth.js");
const FIXTURE = path.join(ROOT, "test/fixtures/stack-config");
const FILES = ["-f", "compose.yaml", "-f", "compose.override.yaml"];

type Doc = { services: Record<string, Record<string, any>>; volumes?: Record<string, unknown> }; // eslint-disable-line @typescript-eslint/no-explicit-any

function berth(args: string[], cwd = FIXTURE, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8", env: { ...process.env, ...env } });
}

/** One spelling of a port for both tools: host_ip:published:target/protocol. */
function portKey(p: unknown): string {
  if (typeof p === "string") {
    const m = /^(?:([\d.]+):)?(?:(\d+):)?(\d+)(?:\/(\w+))?$/.exec(p);
    if (!m) throw new Error(`unexpected port ${p}`);
    return `${m[1] ?? ""}:${m[2] ?? ""}:${m[3]}/${m[4] ?? "tcp"}`;
  }
  const o = p as { host_ip?: string; published?: string | number; target: number; protocol?: string };
  return `${o.host_ip ?? ""}:${o.published ?? ""}:${o.target}/${o.protocol ?? "tcp"}`;
}

/** One spelling of a mount: source:target:ro|rw. */
function volumeKey(v: unknown): string {
  if (typeof v === "string") {
    const [source, target, mode = "rw"] = v.split(":");
    return `${source}:${target}:${mode}`;
  }
  const o = v as { source?: string; target: string; read_only?: boolean };
  return `${o.source ?? ""}:${o.target}:${o.read_only ? "ro" : "rw"}`;
}

const words = (c: unknown) => (typeof c === "string" ? c.split(/\s+/) : c);

function facts(doc: Doc) {
  return Object.fromEntries(
    Object.entries(doc.services).map(([name, s]) => [
      name,
      {
        image: s.image,
        command: words(s.command),
        entrypoint: words(s.entrypoint),
        environment: s.environment ?? {},
        ports: (s.ports ?? []).map(portKey).sort(),
        volumes: (s.volumes ?? []).map(volumeKey).sort(),
        dependsOn: s.depends_on ?? {},
        healthcheck: s.healthcheck ? { test: s.healthcheck.test, interval: s.healthcheck.interval, timeout: s.healthcheck.timeout, retries: s.healthcheck.retries } : undefined,
        build: s.build ? { context: s.build.context, args: s.build.args ?? {} } : undefined,
        restart: s.restart,
        stopGracePeriod: s.stop_grace_period,
        aliases: s.networks?.default?.aliases ?? [],
      },
    ]),
  );
}

describe("berth stack config", () => {
  it("agrees with docker-compose on every service of a file with .env, an override file and extends", () => {
    const ours = berth(["stack", ...FILES, "config", "--format", "json"]);
    expect(ours.stderr).toBe("");
    expect(ours.status).toBe(0);
    const peer = execFileSync("docker-compose", [...FILES, "config"], { cwd: FIXTURE, encoding: "utf8" });
    const mine = facts(JSON.parse(ours.stdout) as Doc);
    const theirs = facts(parse(peer) as Doc);
    // depends_on as Compose v2 writes it carries `required` and `restart`, which 1.29 predates.
    for (const s of Object.values(mine)) {
      for (const d of Object.values(s.dependsOn as Record<string, Record<string, unknown>>)) {
        delete d.required;
        delete d.restart;
      }
    }
    expect(mine).toEqual(theirs);
    expect(mine.web!.environment).toEqual({ GREETING: "hello from .env", LEVEL: "debug", APP_MODE: "development" });
  });

  it("takes variables from the shell over .env, names the stack from -p or the directory", () => {
    const ours = berth(["stack", ...FILES, "config", "--format", "json"], FIXTURE, { APP_PORT: "9999", APP_MODE: "ci" });
    const doc = JSON.parse(ours.stdout) as Doc & { name: string };
    expect(doc.name).toBe("stack-config");
    expect(doc.services.web!.environment.APP_MODE).toBe("ci");
    expect(doc.services.web!.ports.map(portKey)).toContain(":9999:9999/tcp");
    const named = JSON.parse(berth(["stack", "-p", "shop", ...FILES, "config", "--format", "json"]).stdout) as { name: string };
    expect(named.name).toBe("shop");
    expect(berth(["stack", ...FILES, "config", "--services"]).stdout.split("\n").filter(Boolean).sort()).toEqual(["db", "web", "worker"]);
  });

  it("names the line of a key it refuses, warns with the line for one it ignores, and fails on a typo as Compose does", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-config-"));
    try {
      fs.writeFileSync(path.join(dir, "compose.yaml"), "services:\n  web:\n    image: busybox\n    network_mode: host\n");
      const refused = berth(["stack", "config"], dir);
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toMatch(/compose\.yaml:4: services\.web\.network_mode is not supported by Berth/);

      fs.writeFileSync(path.join(dir, "compose.yaml"), "services:\n  web:\n    image: busybox\n    container_name: fixed\n    logging:\n      driver: syslog\n");
      const warned = berth(["stack", "config", "-q"], dir);
      expect(warned.status).toBe(0);
      expect(warned.stderr).toMatch(/warning: compose\.yaml:4: services\.web\.container_name is ignored/);
      expect(warned.stderr).toMatch(/warning: compose\.yaml:5: services\.web\.logging is ignored/);

      fs.writeFileSync(path.join(dir, "compose.yaml"), "services:\n  web:\n    image: busybox\n    comand: [true]\n");
      const typo = berth(["stack", "config"], dir);
      expect(typo.status).not.toBe(0);
      expect(typo.stderr).toMatch(/compose\.yaml:4: services\.web has an unknown key "comand"/);
      const peer = spawnSync("docker-compose", ["config"], { cwd: dir, encoding: "utf8" });
      expect(peer.status).not.toBe(0);
      expect(peer.stderr).toMatch(/comand/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
