import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { docker, ensureDockerd } from "./docker.js";
import { run, startInstance, type Instance } from "./harness.js";

// A Berth API token is the password for the registry clients people already use.
let b: Instance;
let tmp: string;
beforeAll(async () => {
  await ensureDockerd();
  b = await startInstance();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "berth-login-"));
});
afterAll(async () => {
  await b?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const registry = () => `127.0.0.1:${b.port}`;

it("docker login accepts the admin's token and refuses a wrong one", async () => {
  // Docker treats 127.0.0.0/8 registries as insecure (plain HTTP) by default.
  const env = { ...process.env, DOCKER_CONFIG: path.join(tmp, "docker") };
  const login = (password: string) => run("sh", ["-c", `printf %s "$PW" | /usr/bin/docker login ${registry()} -u admin --password-stdin`], { env: { ...env, PW: password }, timeoutMs: 60_000 });
  const ok = await login(b.token);
  expect(ok.stdout + ok.stderr).toMatch(/Login Succeeded/);
  expect(ok.code).toBe(0);
  const bad = await login("berth_not-a-token");
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toMatch(/unauthorized|401/i);
  expect((await docker(["version", "--format", "{{.Server.Version}}"])).code).toBe(0);
});

it("podman login accepts the admin's token and refuses a wrong one", async () => {
  const env = { ...process.env, REGISTRY_AUTH_FILE: path.join(tmp, "auth.json"), XDG_RUNTIME_DIR: path.join(tmp, "run") };
  fs.mkdirSync(path.join(tmp, "run"), { recursive: true, mode: 0o700 });
  const login = (password: string) =>
    run("sh", ["-c", `printf %s "$PW" | podman --storage-driver vfs --root ${tmp}/root --runroot ${tmp}/runroot login --tls-verify=false -u admin --password-stdin ${registry()}`], { env: { ...env, PW: password }, timeoutMs: 60_000 });
  const ok = await login(b.token);
  expect(ok.stdout + ok.stderr).toMatch(/Login Succeeded/);
  expect(ok.code).toBe(0);
  expect(fs.readFileSync(path.join(tmp, "auth.json"), "utf8")).toContain(registry());
  const bad = await login("berth_not-a-token");
  expect(bad.code).not.toBe(0);
});
