/**
 * The bundled CLI (build/berth.cjs, made by scripts/bundle.mjs during the build) and its code
 * cache, as bin/berth.js runs them: the cache is written, reused, and a damaged one is replaced
 * without the command noticing.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const cliDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(cliDir, "bin", "berth.js");
const build = path.join(cliDir, "build");
const version = (JSON.parse(fs.readFileSync(path.join(cliDir, "package.json"), "utf8")) as { version: string }).version;

// A cache directory of this file's own: other tests run the CLI (and write its caches) at the same time.
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-cli-cache-"));
afterAll(() => fs.rmSync(cacheDir, { recursive: true, force: true }));
const berth = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env: { ...process.env, BERTH_URL: "http://127.0.0.1:9", BERTH_CLI_CACHE_DIR: cacheDir } });
const caches = () => fs.readdirSync(cacheDir).filter((f) => f.startsWith(`berth.cjs.${process.version}-${process.arch}-`) && f.endsWith(".cache"));

describe("the bundled CLI", () => {
  it("is built, one ASCII file with no import() left", () => {
    const text = fs.readFileSync(path.join(build, "berth.cjs"));
    expect(text.length).toBeGreaterThan(0);
    expect(text.every((b) => b < 0x80)).toBe(true);
    expect(/(?<![\w$.])import\(/.test(text.toString("latin1"))).toBe(false);
  });

  it("carries the compose schema's validator compiled to code: no Ajv compiler to run at every `stack` command", () => {
    const text = fs.readFileSync(path.join(build, "berth.cjs"), "latin1");
    // A message of Ajv's compiler (ajv/lib/core.ts): there only when the schema is compiled at run time.
    expect(text).not.toContain("schema with key or id");
    // The precompiled validator still refuses a bad file and names its line (test/stack-config.test.ts checks more).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-schema-"));
    try {
      fs.writeFileSync(path.join(dir, "compose.yaml"), "services:\n  a:\n    image: busybox\n    restart: 3\n    imagee: x\n");
      const r = spawnSync(process.execPath, [bin, "stack", "config", "-q"], { cwd: dir, encoding: "utf8", env: { ...process.env, BERTH_CLI_CACHE_DIR: cacheDir } });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/compose\.yaml:[45]: services\.a /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes a code cache after a command and keeps working with it", () => {
    for (const f of caches()) fs.rmSync(path.join(cacheDir, f), { force: true });
    const first = berth("--version");
    expect(first.status).toBe(0);
    expect(first.stdout.trim()).toBe(version);
    expect(caches()).toHaveLength(1);
    const second = berth("--version");
    expect(second.status).toBe(0);
    expect(second.stdout.trim()).toBe(version);
  });

  it("replaces a damaged cache and runs the command as if there were none", () => {
    // `--help` runs under the "other" cache, which `--version` wrote too.
    if (caches().length === 0) expect(berth("--version").status).toBe(0);
    const name = caches().find((f) => f.endsWith(".other.cache"));
    const file = path.join(cacheDir, name!);
    const junk = Buffer.alloc(4096, 0x5a);
    fs.writeFileSync(file, junk);
    const r = berth("--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: berth/);
    expect(fs.readFileSync(file).equals(junk)).toBe(false);
  });

  it("runs a command with a lean bundle from it, a fraction of the full one's size, with its own cache", () => {
    const lean = path.join(build, "berth-build.cjs");
    expect(fs.statSync(lean).size).toBeLessThan(fs.statSync(path.join(build, "berth.cjs")).size / 4);
    const text = fs.readFileSync(lean);
    expect(text.every((b) => b < 0x80)).toBe(true);
    expect(/(?<![\w$.])import\(/.test(text.toString("latin1"))).toBe(false);
    const r = berth("build", "--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: berth build \[OPTIONS\] PATH/);
    expect(r.stdout).toContain("--build-arg");
    expect(fs.readdirSync(cacheDir).some((f) => f.startsWith(`berth-build.cjs.${process.version}-`) && f.endsWith(".build.cache"))).toBe(true);
  });

  it("has lean bundles for ps, images and logs, each running its command with a cache of its own", () => {
    for (const [cmd, usage] of [["ps", /Usage: berth ps \[OPTIONS\]/], ["images", /Usage: berth images \[OPTIONS\]/], ["logs", /Usage: berth logs \[OPTIONS\] CONTAINER/]] as const) {
      const lean = path.join(build, `berth-${cmd}.cjs`);
      expect(fs.statSync(lean).size, cmd).toBeLessThan(fs.statSync(path.join(build, "berth.cjs")).size / 4);
      const r = berth(cmd, "--help");
      expect(r.status, cmd).toBe(0);
      expect(r.stdout).toMatch(usage);
      expect(fs.readdirSync(cacheDir).some((f) => f.startsWith(`berth-${cmd}.cjs.${process.version}-`) && f.endsWith(`.${cmd}.cache`)), cmd).toBe(true);
    }
    // Talking to a server that is not there: the lean ps says so as the full CLI does.
    const down = spawnSync(process.execPath, [bin, "ps"], { encoding: "utf8", env: { ...process.env, BERTH_URL: "http://127.0.0.1:9", BERTH_TOKEN: "x", BERTH_CLI_CACHE_DIR: cacheDir } });
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/^berth: cannot connect to the Berth server at http:\/\/127\.0\.0\.1:9/);
  });

  it("loads @berth/core from its own bundle in a lean command's rare paths (a bad environment's message)", () => {
    const dir = fs.mkdtempSync(path.join(cacheDir, "ctx-"));
    fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM busybox\n");
    const r = spawnSync(process.execPath, [bin, "build", dir], { encoding: "utf8", env: { ...process.env, BERTH_URL: "not a url", BERTH_CLI_CACHE_DIR: cacheDir } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^berth: invalid Berth configuration in the environment: BERTH_URL: /);
    // Run from a code cache of its own, as the bundles are.
    expect(fs.readdirSync(cacheDir).some((f) => f.startsWith(`core.cjs.${process.version}-`) && f.endsWith(".build.cache"))).toBe(true);
  });

  it("loads a Node built-in lazily, as the commands do, without import()", () => {
    // `load` of a file that does not exist: the command loads node:fs first, then checks the file.
    const r = berth("load", "-i", "/nonexistent-dir/x.tar");
    expect(r.stderr).not.toMatch(/dynamic import/i);
    expect(r.stderr).toMatch(/^berth: /);
    expect(r.status).toBe(1);
  });
});
