/**
 * Promotion to another registry (issue 17): production runs elsewhere, so an admin points it at a
 * repository of the reference registry (Debian's docker-registry, distribution 2.8, on loopback
 * with an htpasswd user) with credentials Berth keeps sealed and never shows. `berth promote`
 * then copies staging's images there by digest with those credentials and reads each manifest
 * back; the release records where each image went, and distribution serves exactly that manifest,
 * naming staging's image. Credentials are tried when set: wrong ones, or a registry not reached,
 * are refused and nothing is stored (--no-check stores them untried). A wrong password or an
 * unreachable registry at the copy fails with an error naming the registry and leaves no release
 * live; a viewer (or a member) cannot set the registry, and nobody reads the credentials back.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, freePort, run, useInstance } from "./harness.js";
import { ok, refused } from "./cli-result.js";
import { setUpTeam } from "./team-setup.js";

const b = useInstance();
const TEAM = "acme";
const USER = "ci";
const PASSWORD = "registry-pass-7f3a";
const work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-releases-registry-"));
const tokens: Record<string, string> = {};
const as = (user: string, args: string[]) => b.berth(args, { env: { BERTH_TOKEN: tokens[user], BERTH_TEAM: TEAM }, timeoutMs: 300_000 });
/** `berth env set … --registry-password-stdin` as `user`, the password on stdin (and `more` flags). */
function setRegistry(user: string, repository: string, password: string, more: string[] = []) {
  const r = spawnSync(process.execPath, [CLI, "env", "set", "shop", "production", "--registry", repository, "--registry-user", USER, "--registry-password-stdin", ...more], {
    input: `${password}\n`,
    env: { ...process.env, BERTH_URL: b.url, BERTH_TOKEN: tokens[user], BERTH_TEAM: TEAM, BERTH_HOME: b.home, XDG_CONFIG_HOME: path.join(work, `cfg-${user}`) },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

async function api<T>(user: string, proc: string, input: unknown, kind: "query" | "mutation" = "query"): Promise<{ data?: T; error?: { message: string; data?: { code?: string } } }> {
  const headers = { "content-type": "application/json", authorization: `Bearer ${tokens[user]}`, "x-berth-team": TEAM };
  const res =
    kind === "query"
      ? await fetch(`${b.url}/api/trpc/${proc}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers })
      : await fetch(`${b.url}/api/trpc/${proc}`, { method: "POST", headers, body: JSON.stringify(input) });
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string; data?: { code?: string } } };
  return { ...(body.result ? { data: body.result.data } : {}), ...(body.error ? { error: body.error } : {}) };
}

let registry: ChildProcess | undefined;
let port = 0;
let host = "";
let db: Database.Database;
const images: Record<string, string> = {};

/** distribution 2.8 on loopback, its one user in an htpasswd file (bcrypt, as it requires). */
async function startRegistry(): Promise<void> {
  const dir = path.join(work, "registry");
  fs.mkdirSync(dir, { recursive: true });
  const ht = spawnSync("htpasswd", ["-Bbn", USER, PASSWORD], { encoding: "utf8" });
  expect(ht.status, `htpasswd (apache2-utils, scripts/setup.sh --test installs it): ${ht.stderr}`).toBe(0);
  fs.writeFileSync(path.join(dir, "htpasswd"), ht.stdout);
  port = await freePort();
  host = `127.0.0.1:${port}`;
  const config = path.join(dir, "config.yml");
  fs.writeFileSync(
    config,
    [
      "version: 0.1",
      "log:",
      "  level: warn",
      "  accesslog:",
      "    disabled: true",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${path.join(dir, "data")}`,
      "auth:",
      "  htpasswd:",
      "    realm: berth-test",
      `    path: ${path.join(dir, "htpasswd")}`,
      "http:",
      `  addr: ${host}`,
      "",
    ].join("\n"),
  );
  // Its log (a warning per 401 challenge) goes to a file, read if it never answers.
  const log = path.join(dir, "registry.log");
  registry = spawn("docker-registry", ["serve", config], { stdio: ["ignore", "ignore", fs.openSync(log, "w")] });
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://${host}/v2/`).then(
      (r) => r.status,
      () => 0,
    );
    if (up === 401) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`docker-registry did not answer on ${host}: ${fs.readFileSync(log, "utf8").slice(-2000)}`);
}

const envId = (name: string) => (db.prepare(`SELECT e.id FROM Environment e JOIN Project p ON p.id = e.projectId WHERE p.name = 'shop' AND e.name = ?`).get(name) as { id: string }).id;

/** staging's live release v1, as a push to main makes it (its rows written here: the copy is what is tested). */
function stagingRelease(): void {
  const id = envId("staging");
  const at = (db.prepare(`SELECT createdAt FROM Environment WHERE id = ?`).get(id) as { createdAt: unknown }).createdAt;
  const project = { name: "env--staging--shop", workingDir: "env:shop/staging", services: Object.fromEntries(Object.entries(images).map(([s, img]) => [s, { name: s, image: img }])), networks: {}, volumes: {} };
  const health = { kind: "http", path: "/", implicit: true, intervalMs: 1000, timeoutMs: 5000, retries: 3, startPeriodMs: 60000 };
  db.prepare(
    `INSERT INTO Release (id, environmentId, number, images, project, config, configVersion, health, releaseCommand, sha, reason, source, createdById, createdByName, createdAt, state, deployedAt)
     VALUES ('r-staging-1', ?, 1, ?, ?, '{}', 0, ?, NULL, ?, 'push main', NULL, NULL, 'alice', ?, 'live', ?)`,
  ).run(id, JSON.stringify(images), JSON.stringify(project), JSON.stringify(health), "b".repeat(40), at, at);
  db.prepare(`UPDATE Environment SET liveRelease = 1 WHERE id = ?`).run(id);
}

beforeAll(async () => {
  Object.assign(tokens, { admin: b.token }, await setUpTeam(b, TEAM, { alice: "member", vera: "viewer", adam: "admin" }));
  ok(await as("alice", ["project", "create", "shop"]), "project create");
  // web: built here (a layer of its own on busybox's); api: busybox itself.
  const ctx = path.join(work, "web");
  fs.mkdirSync(ctx, { recursive: true });
  fs.writeFileSync(path.join(ctx, "Dockerfile"), `FROM busybox\nRUN mkdir /www && echo shop > /www/index.html\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n`);
  images.web = ok(await as("alice", ["build", "-q", "-t", `${TEAM}/shop/web:one`, ctx]), "build").stdout.trim();
  images.api = ok(await as("alice", ["image", "inspect", "busybox", "--format", "{{.Id}}"]), "busybox").stdout.trim();
  expect(images.web).toMatch(/^sha256:[0-9a-f]{64}$/);
  db = new Database(path.join(b.home, "berth.db"));
  db.pragma("busy_timeout = 10000");
  ok(await as("alice", ["env", "ls", "shop"]), "env ls (makes the default environments)");
  stagingRelease();
  await startRegistry();
}, 300_000);

afterAll(() => {
  db?.close();
  if (registry?.pid) process.kill(registry.pid, "SIGTERM");
  fs.rmSync(work, { recursive: true, force: true });
});

type Env = { name: string; registry: { repository: string; credentials: boolean } | null; live: { number: number } | null; last: { number: number; state: string } | null };
const envs = async (user: string) => JSON.parse(ok(await as(user, ["env", "ls", "shop", "--format", "json"]), "env ls").stdout) as Env[];
type Shown = { number: number; state: string; images: Record<string, string>; copiedTo: Record<string, string> | null; error: string | null };
const show = async (n: number) => JSON.parse(ok(await as("alice", ["release", "show", "shop", "production", `v${n}`, "--format", "json"]), `release show v${n}`).stdout) as Shown;

/** A manifest as distribution serves it to an authenticated client: its bytes' digest and the config it names. */
async function manifestIn(repo: string, ref: string): Promise<{ status: number; digest: string; config: string | undefined; text: string }> {
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${ref}`, {
    headers: { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`, accept: "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json" },
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const config = res.status === 200 ? (JSON.parse(bytes.toString("utf8")) as { config?: { digest?: string } }).config?.digest : undefined;
  return { status: res.status, digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}`, config, text: bytes.toString("utf8") };
}

describe("promotion to another registry", () => {
  it("only an admin points an environment at a registry; its credentials are sealed and never shown back", async () => {
    expect(refused(setRegistry("vera", `${host}/shop`, PASSWORD), "viewer --registry").stderr).toMatch(/refused: you are a viewer/);
    refused(setRegistry("alice", `${host}/shop`, PASSWORD), "member --registry");
    for (const user of ["vera", "alice"]) {
      const r = await api(user, "environments.setRegistry", { project: "shop", env: "production", repository: `${host}/shop`, credentials: { username: USER, password: PASSWORD } }, "mutation");
      expect(r.error?.data?.code, user).toBe("FORBIDDEN");
    }
    expect((await envs("vera")).find((e) => e.name === "production")!.registry).toBeNull();
    refused(setRegistry("adam", "shop", PASSWORD), "a repository with no registry host");
    // Credentials are tried when set: a wrong password is refused, naming the registry and the user, and nothing is stored.
    const wrong = refused(setRegistry("adam", `${host}/shop`, "not-the-password"), "admin --registry, a wrong password");
    expect(wrong.stderr).toContain(`registry ${host} refused user ${USER}: `);
    expect(wrong.stderr).toContain("401");
    expect(wrong.stderr).toContain("nothing stored");
    expect((await envs("adam")).find((e) => e.name === "production")!.registry).toBeNull();
    expect(db.prepare(`SELECT registry, registryAuth FROM Environment WHERE id = ?`).get(envId("production"))).toEqual({ registry: null, registryAuth: null });
    // The right one is stored.
    const right = ok(setRegistry("adam", `${host}/shop`, PASSWORD), "admin --registry, the right password");
    expect(right.stderr).toMatch(/production runs elsewhere: each release is copied to 127\.0\.0\.1:\d+\/shop\/<service>/);
    expect((await envs("adam")).find((e) => e.name === "production")!.registry).toEqual({ repository: `${host}/shop`, credentials: true });
    // --no-check stores them untried: a wrong password, for the promotion below to meet.
    const set = ok(setRegistry("adam", `${host}/shop`, "not-the-password", ["--no-check"]), "admin --registry --no-check");
    expect(set.stderr).toMatch(/production runs elsewhere: each release is copied to 127\.0\.0\.1:\d+\/shop\/<service>/);
    for (const user of ["vera", "alice", "adam"]) {
      const prod = (await envs(user)).find((e) => e.name === "production")!;
      expect(prod.registry).toEqual({ repository: `${host}/shop`, credentials: true });
      const listed = JSON.stringify(await api(user, "environments.list", { project: "shop" }));
      expect(listed).not.toContain("not-the-password");
      expect(listed).not.toContain(`"${USER}"`);
    }
    expect(ok(await as("vera", ["env", "ls", "shop"]), "env ls").stdout).toMatch(new RegExp(`^production +\\(promotion\\) +- +- +- +runs elsewhere: copied to 127\\.0\\.0\\.1:${port}/shop`, "m"));
    // At rest: sealed, user and password alike.
    const row = db.prepare(`SELECT registry, registryAuth FROM Environment WHERE id = ?`).get(envId("production")) as { registry: string; registryAuth: string };
    expect(row.registry).toBe(`${host}/shop`);
    expect(row.registryAuth).toMatch(/^v1:[0-9a-f]{8}:/);
    expect(row.registryAuth).not.toContain("not-the-password");
    const audit = ok(await b.berth(["audit", "--all", "--json"]), "audit").stdout;
    expect(audit).toContain('"environments.setRegistry"');
    expect(audit).not.toContain("not-the-password");
  });

  it("with a wrong password the promotion fails naming the registry, and no release is live", async () => {
    const r = refused(await as("alice", ["promote", "shop", "--from", "staging", "--to", "production"]), "promote with a wrong password");
    expect(r.stderr).toContain(`the registry ${host} refused the credentials of production (user ${USER})`);
    const v1 = await show(1);
    expect(v1.state).toBe("failed");
    expect(v1.copiedTo).toBeNull();
    expect(v1.error).toContain(`copy of v1 to ${host}/shop failed`);
    const prod = (await envs("alice")).find((e) => e.name === "production")!;
    expect(prod.live).toBeNull();
    expect(prod.last).toMatchObject({ number: 1, state: "failed" });
  }, 120_000);

  it("promote copies every image by digest and reads it back: distribution serves staging's very images", async () => {
    ok(setRegistry("adam", `${host}/shop`, PASSWORD), "the right password");
    const r = ok(await as("alice", ["promote", "shop", "--from", "staging", "--to", "production"]), "promote");
    const v2 = await show(2);
    expect(v2.state).toBe("live");
    expect(v2.images).toEqual(images);
    expect(Object.keys(v2.copiedTo ?? {}).sort()).toEqual(["api", "web"]);
    expect(r.stdout).toBe(`v2\napi  → ${v2.copiedTo!.api}\nweb  → ${v2.copiedTo!.web}\n`);
    for (const svc of ["api", "web"]) {
      const at = v2.copiedTo![svc]!;
      expect(at).toMatch(new RegExp(`^127\\.0\\.0\\.1:${port}/shop/${svc}@sha256:[0-9a-f]{64}$`));
      const digest = at.slice(at.indexOf("@") + 1);
      // What distribution holds under the release's tag: that manifest, naming staging's image (its config digest is the image id).
      const m = await manifestIn(`shop/${svc}`, "production-v2");
      expect({ status: m.status, digest: m.digest, config: m.config }).toEqual({ status: 200, digest, config: images[svc] });
      expect((await manifestIn(`shop/${svc}`, digest)).config).toBe(images[svc]);
      // A real registry client agrees.
      const raw = await run("skopeo", ["inspect", "--raw", "--tls-verify=false", "--creds", `${USER}:${PASSWORD}`, `docker://${at}`], { timeoutMs: 60_000 });
      expect(raw.code, raw.stderr).toBe(0);
      expect(raw.stdout.replace(/\n$/, "")).toBe(m.text.replace(/\n$/, ""));
    }
    // The registry does want credentials: no anonymous read.
    expect((await fetch(`http://${host}/v2/shop/web/manifests/production-v2`)).status).toBe(401);
    const shown = ok(await as("vera", ["release", "show", "shop", "production", "v2"]), "release show").stdout;
    expect(shown).toContain(`  web  ${images.web}  → ${v2.copiedTo!.web}\n`);
    expect(shown).toContain(`  api  ${images.api}  → ${v2.copiedTo!.api}\n`);
    // Production runs elsewhere: nothing of it runs here.
    expect(ok(await as("alice", ["ps", "-a", "-q", "--filter", "label=berth.release.env=production"]), "ps").stdout.trim()).toBe("");
    expect((await envs("vera")).find((e) => e.name === "production")!.live).toMatchObject({ number: 2 });
  }, 300_000);

  it("a second promotion skips the blobs the registry has, and lands on the same digests", async () => {
    const r = ok(await as("alice", ["promote", "shop", "--from", "staging", "--to", "production", "--release", "v1"]), "promote again");
    expect(r.stderr).toMatch(/web \| [0-9a-f]{12}: Layer already exists/);
    expect(r.stderr).not.toMatch(/: Pushed$/m);
    const [v2, v3] = [await show(2), await show(3)];
    expect(v3.copiedTo).toEqual(v2.copiedTo);
    expect(v2.state).toBe("superseded");
  }, 300_000);

  it("an unreachable registry: a clear error naming it, and the live release stays", async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    // Tried when set: not reached, nothing stored (production still copies to the registry before).
    const unreached = refused(setRegistry("adam", `${closed}/shop`, PASSWORD), "--registry (nothing listens there)");
    expect(unreached.stderr).toContain(`registry ${closed} could not be reached`);
    expect(unreached.stderr).toContain("nothing stored");
    expect((await envs("alice")).find((e) => e.name === "production")!.registry).toEqual({ repository: `${host}/shop`, credentials: true });
    ok(setRegistry("adam", `${closed}/shop`, PASSWORD, ["--no-check"]), "--registry --no-check (nothing listens there)");
    const r = refused(await as("alice", ["promote", "shop", "--from", "staging", "--to", "production"]), "promote to nowhere");
    expect(r.stderr).toContain(`the registry ${closed} could not be reached`);
    expect((await show(4)).state).toBe("failed");
    expect((await envs("alice")).find((e) => e.name === "production")!.live).toMatchObject({ number: 3 });
    // Back to running here: --registry none.
    const none = ok(await as("adam", ["env", "set", "shop", "production", "--registry", "none"]), "--registry none");
    expect(none.stderr).toMatch(/production runs here again/);
    expect((await envs("adam")).find((e) => e.name === "production")!.registry).toBeNull();
    expect((db.prepare(`SELECT registryAuth FROM Environment WHERE id = ?`).get(envId("production")) as { registryAuth: string | null }).registryAuth).toBeNull();
  }, 120_000);
});
