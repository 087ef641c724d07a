/**
 * `berth push` to the Berth server's own registry with nothing but the CLI's own credentials
 * (BERTH_TOKEN, or the token `berth login` stored), never --creds: a first push, a re-push
 * whose layers are all there, a push to another repository (mounted), a pull back, and a push
 * interrupted before its manifest that a second `berth push` finishes.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startInstance, type Instance } from "./harness.js";
import { req, token } from "./registry-helpers.js";

let a: Instance;
let dir: string;
const host = () => `127.0.0.1:${a.port}`;

async function ok(args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await a.berth(args, { timeoutMs: 120_000, ...(env ? { env } : {}) });
  if (r.code !== 0) throw new Error(`berth ${args.join(" ")} exited ${r.code}:\n${r.stdout}\n${r.stderr}\n--- instance log (tail):\n${a.logs().slice(-4000)}`);
  return r.stdout;
}

/** A registry token for the admin (the instance's admin API token as password). */
async function adminToken(repos: string[]): Promise<string> {
  const t = await token(a.url, repos.map((r) => `repository:${r}:pull,push`), { user: "admin", pass: a.token });
  expect(t.status).toBe(200);
  return t.token;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-push-own-"));
  a = await startInstance();
}, 180_000);

afterAll(async () => {
  await a?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe("berth push to its own registry, with the CLI's credentials only", () => {
  let digest: string;

  it("pushes with BERTH_TOKEN alone", async () => {
    await ok(["tag", "busybox", `${host()}/admin/own:1`]);
    const out = await ok(["push", `${host()}/admin/own:1`]);
    expect(out).toMatch(/^[0-9a-f]{12}: Pushed$/m);
    const m = /^1: digest: (sha256:[0-9a-f]{64}) size: \d+$/m.exec(out);
    expect(m).not.toBeNull();
    digest = m![1]!;
    const tok = await adminToken(["admin/own"]);
    const head = await req(a.url, "HEAD", "/v2/admin/own/manifests/1", { token: tok });
    expect(head.headers.get("docker-content-digest")).toBe(digest);
  });

  it("re-pushes: every layer already exists, and the push succeeds", async () => {
    const out = await ok(["push", `${host()}/admin/own:1`]);
    expect(out).toMatch(/^[0-9a-f]{12}: Layer already exists$/m);
    expect(out).not.toMatch(/: Pushed$/m);
    expect(out).toContain(`1: digest: ${digest}`);
  });

  it("pushes to another repository by mounting the layers, with the token `berth login` stored (no BERTH_TOKEN)", async () => {
    const xdg = path.join(dir, "xdg");
    const noHome = path.join(dir, "no-home"); // no admin.token to fall back on
    fs.mkdirSync(noHome);
    const env = { ...process.env, BERTH_URL: a.url, BERTH_TOKEN: "", BERTH_HOME: noHome, XDG_CONFIG_HOME: xdg };
    const login = spawnSync(process.execPath, [path.join(ROOT, "cli/bin/berth.js"), "login", a.url, "-u", "admin", "--password-stdin"], { input: a.token, env, encoding: "utf8" });
    expect(login.stdout).toBe("Login Succeeded\n");
    const own = { BERTH_TOKEN: "", BERTH_HOME: noHome, XDG_CONFIG_HOME: xdg };
    await ok(["tag", "busybox", `${host()}/admin/own2:1`], own);
    const out = await ok(["push", `${host()}/admin/own2:1`], own);
    expect(out).toMatch(/^[0-9a-f]{12}: Mounted from admin\/own$/m);
    expect(out).not.toMatch(/: Pushed$/m);
    expect(out).toContain(`1: digest: ${digest}`);
    // And again: already there.
    expect(await ok(["push", `${host()}/admin/own2:1`], own)).toMatch(/: Layer already exists$/m);
    // Pulled back with the same stored login.
    await ok(["rmi", `${host()}/admin/own2:1`], own);
    expect(await ok(["pull", `${host()}/admin/own2:1`], own)).toContain(`Digest: ${digest}`);
  });

  it("a push interrupted before its manifest is finished by a second `berth push`", async () => {
    // The first push got its layer in and an upload of the config half way, then stopped:
    // the repository exists, holds the layer, and has no tag.
    const tok = await adminToken(["admin/own", "admin/own3"]);
    const manifest = (await req(a.url, "GET", `/v2/admin/own/manifests/${digest}`, { token: tok })).json<{ layers: { digest: string }[]; config: { digest: string } }>();
    const layer = manifest.layers[0]!.digest;
    expect((await req(a.url, "POST", `/v2/admin/own3/blobs/uploads/?mount=${layer}&from=admin/own`, { token: tok })).status).toBe(201);
    const start = await req(a.url, "POST", "/v2/admin/own3/blobs/uploads/", { token: tok });
    const half = await req(a.url, "PATCH", start.headers.get("location")!, { token: tok, body: Buffer.from("{\"architecture\""), headers: { "content-type": "application/octet-stream" } });
    expect(half.status).toBe(202);
    expect((await req(a.url, "GET", "/v2/admin/own3/tags/list", { token: tok })).json<{ tags: string[] }>().tags).toEqual([]);

    await ok(["tag", "busybox", `${host()}/admin/own3:1`]);
    const out = await ok(["push", `${host()}/admin/own3:1`]);
    expect(out).toMatch(/^[0-9a-f]{12}: Layer already exists$/m);
    expect(out).toContain(`1: digest: ${digest}`);
    expect((await req(a.url, "GET", "/v2/admin/own3/tags/list", { token: tok })).json<{ tags: string[] }>().tags).toEqual(["1"]);
    expect((await req(a.url, "HEAD", `/v2/admin/own3/blobs/${manifest.config.digest}`, { token: tok })).status).toBe(200);
  });
});
