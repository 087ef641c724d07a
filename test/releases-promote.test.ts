/**
 * Staging to production on a real Berth, end to end with nothing stubbed: a git push to main
 * builds the two-service app, previews it, and deploys the images it just ran to staging; `berth
 * promote` sends staging's live release to production — the same digests (compared by digest in
 * `release show` on both sides and in `inspect` of the running containers), nothing rebuilt, with
 * production's own config; a second promotion under a bounded loop of requests fails none; a
 * rollback brings back the earlier images and config and warns about release commands run since;
 * a viewer may do none of it and never reads a secret. README's "Promote to production" shows
 * the commands run here.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pidOf, ROOT, run, useInstance, type RunResult } from "./harness.js";
import { ok } from "./cli-result.js";
import { edgeGet } from "./edge-client.js";
import { setUpTeam } from "./team-setup.js";

const b = useInstance();
const TEAM = "acme";
const work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-releases-promote-"));
const repo = path.join(work, "shop");
const tokens: Record<string, string> = {};
const as = (user: string, args: string[]) => b.berth(args, { env: { BERTH_TOKEN: tokens[user], BERTH_TEAM: TEAM }, timeoutMs: 400_000 });
const ran: string[] = [];
/** A command as alice runs it (kept, to compare with README's). */
const alice = (args: string[]) => {
  ran.push(`berth ${args.join(" ")}`);
  return as("alice", args);
};
const refused = (r: RunResult, what: string) => {
  expect(r.code, `${what} should be refused:\n${r.stdout}\n${r.stderr}`).not.toBe(0);
  expect(r.stderr).toMatch(/refused: you are a viewer/);
  return r;
};
const gitEnv = { ...process.env, HOME: work, GIT_CONFIG_NOSYSTEM: "1", GIT_TERMINAL_PROMPT: "0", GIT_AUTHOR_NAME: "alice", GIT_AUTHOR_EMAIL: "alice@example.com", GIT_COMMITTER_NAME: "alice", GIT_COMMITTER_EMAIL: "alice@example.com" };
const gitOk = async (args: string[]) => ok(await run("git", args, { cwd: repo, env: gitEnv, timeoutMs: 400_000 }), `git ${args.join(" ")}`);

function remote(): string {
  const u = new URL(`${b.url}/git/${TEAM}/shop.git`);
  u.username = "alice";
  u.password = tokens.alice!;
  return u.toString();
}

/** The app: web (built here; its page says the commit's version and the MODE it was given) and api (busybox's httpd, an image not built). */
function writeApp(version: string): void {
  fs.mkdirSync(path.join(repo, "web"), { recursive: true });
  fs.writeFileSync(
    path.join(repo, "compose.yaml"),
    `services:\n  web:\n    build: ./web\n    expose: ["8080"]\n    depends_on: [api]\n  api:\n    image: busybox\n    command: ["sh", "-c", "mkdir -p /srv && echo api > /srv/index.html && exec httpd -f -p 9000 -h /srv"]\n`,
  );
  fs.writeFileSync(path.join(repo, "berth.yaml"), "web: {service: web, port: 8080, health: {path: /health.txt, status: 200}}\nrelease: echo migrating\n");
  fs.writeFileSync(
    path.join(repo, "web/Dockerfile"),
    `FROM busybox\nCOPY version /version\nRUN mkdir /www && echo ok > /www/health.txt\nEXPOSE 8080\nCMD ["sh", "-c", "echo \\"$(cat /version) \${MODE:-none}\\" > /www/index.html; exec httpd -f -p 8080 -h /www"]\n`,
  );
  fs.writeFileSync(path.join(repo, "web/version"), `${version}\n`);
}

async function push(version: string): Promise<{ sha: string; out: string }> {
  writeApp(version);
  await gitOk(["add", "-A"]);
  await gitOk(["commit", "-q", "-m", version]);
  const sha = (await gitOk(["rev-parse", "HEAD"])).stdout.trim();
  const out = (await gitOk(["push", remote(), "main"])).stderr;
  return { sha, out };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
/** GET / of an environment through the edge on loopback (with an API token: the route is the team's). */
function get(env: string): Promise<{ status: number; body: string }> {
  return edgeGet(b.edgePort, `env--${env}--shop--${TEAM}.localhost:${b.edgePort}`, { agent, token: tokens.alice });
}

/** GET / through the edge with no credentials at all, a fresh connection each time. */
function plainGet(host: string): Promise<{ status: number; body: string }> {
  return edgeGet(b.edgePort, `${host}:${b.edgePort}`);
}

type Shown = { number: number; state: string; images: Record<string, string>; sha: string | null; reason: string; source: string | null; configVersion: number; config: { key: string; value: string; secret: boolean }[] };
const show = async (env: string, n: number, user = "alice") => {
  const args = ["release", "show", "shop", env, `v${n}`, "--format", "json"];
  return JSON.parse(ok(await (user === "alice" ? alice(args) : as(user, args)), `release show ${env} v${n}`).stdout) as Shown;
};

/** The image each running container of an environment runs, by service, from `inspect`. */
async function running(env: string): Promise<Record<string, string[]>> {
  const ids = ok(await as("alice", ["ps", "-q", "--no-trunc", "--filter", `label=berth.release.env=${env}`, "--filter", "label=berth.release.project=shop"]), "ps").stdout.trim().split("\n").filter(Boolean);
  expect(ids.length, `containers of ${env}`).toBeGreaterThan(0);
  const lines = ok(await as("alice", ["inspect", "--format", '{{index .Config.Labels "com.docker.compose.service"}} {{.Image}}', ...ids]), "inspect").stdout.trim().split("\n");
  const out: Record<string, string[]> = {};
  for (const l of lines) {
    const [svc, image] = l.split(" ");
    (out[svc!] ??= []).push(image!);
  }
  return out;
}

beforeAll(async () => {
  tokens.admin = b.token;
  Object.assign(tokens, await setUpTeam(b, TEAM, { alice: "member", vera: "viewer" }));
  ok(await as("alice", ["project", "create", "shop"]), "project create");
  fs.mkdirSync(repo, { recursive: true });
  await gitOk(["init", "-q", "-b", "main"]);
}, 120_000);

afterAll(() => {
  agent.destroy();
  fs.rmSync(work, { recursive: true, force: true });
});

describe("promote to production", () => {
  let sha1 = "";
  let staging1: Shown;

  it("a push to main deploys staging from the very images the push built and previewed", async () => {
    ok(await alice(["env", "config", "shop", "staging", "set", "MODE=staging"]), "staging config");
    const p = await push("one");
    sha1 = p.sha;
    expect(p.out).toMatch(/remote: .*preview: http:\/\/main--shop--acme\.localhost/);
    expect(p.out).toMatch(/remote: shop staging: release v1 \(push main, commit [0-9a-f]{12}/);
    expect(await get("staging")).toEqual({ status: 200, body: "one staging\n" });
    staging1 = await show("staging", 1);
    expect(staging1).toMatchObject({ state: "live", sha: sha1, reason: "push main", configVersion: 1 });
    // The digest is the image the push built and tagged with its commit; api's, the busybox it ran.
    const built = ok(await as("alice", ["image", "inspect", `${TEAM}/shop/web:${sha1}`, "--format", "{{.Id}}"]), "image inspect").stdout.trim();
    expect(staging1.images.web).toBe(built);
    expect(staging1.images.api).toBe(ok(await as("alice", ["image", "inspect", "busybox", "--format", "{{.Id}}"]), "busybox").stdout.trim());
    const ls = ok(await alice(["release", "ls", "shop", "staging"]), "release ls").stdout;
    expect(ls).toMatch(new RegExp(`^v1 +live +api=${staging1.images.api!.slice(7, 19)} web=${built.slice(7, 19)} `, "m"));
  }, 600_000);

  it("promote deploys staging's digests to production, not rebuilt, with production's own config", async () => {
    ok(await alice(["env", "config", "shop", "production", "set", "MODE=production"]), "production config");
    ok(await alice(["env", "config", "shop", "production", "set", "TOKEN=prod-secret-42", "--secret"]), "production secret");
    const builds = ok(await as("alice", ["images", "-q"]), "images").stdout;
    const r = ok(await alice(["promote", "shop", "--from", "staging", "--to", "production"]), "promote");
    expect(r.stdout).toBe(`v1 http://env--production--shop--${TEAM}.localhost:${b.edgePort}/\n`);
    expect(r.stderr).toMatch(/promoting staging v1 to production/);
    expect(ok(await as("alice", ["images", "-q"]), "images").stdout).toBe(builds);
    const prod1 = await show("production", 1);
    expect(prod1.images).toEqual(staging1.images);
    expect(prod1).toMatchObject({ state: "live", sha: sha1, reason: "promote staging v1", source: "staging v1", configVersion: 2 });
    // What runs is what was tested: every container's image, by digest, on both sides.
    const [prod, stag] = [await running("production"), await running("staging")];
    for (const svc of ["web", "api"]) {
      expect(new Set(prod[svc]), svc).toEqual(new Set([staging1.images[svc]]));
      expect(new Set(stag[svc]), svc).toEqual(new Set([staging1.images[svc]]));
    }
    expect(await get("production")).toEqual({ status: 200, body: "one production\n" });
    expect(await get("staging")).toEqual({ status: 200, body: "one staging\n" });
    // The secret reached the app, and is shown masked.
    const web = ok(await as("alice", ["ps", "-q", "--filter", "label=berth.release.env=production", "--filter", "label=com.docker.compose.service=web"]), "ps web").stdout.trim().split("\n")[0]!;
    expect(ok(await as("alice", ["exec", web, "sh", "-c", "echo $TOKEN"]), "exec").stdout).toBe("prod-secret-42\n");
    expect(prod1.config).toEqual([
      { key: "MODE", value: "production", secret: false },
      { key: "TOKEN", value: "••••••••", secret: true },
    ]);
  }, 600_000);

  it("a new push updates staging only; promoting it loses no request of a bounded loop", async () => {
    const p = await push("two");
    expect(p.out).toMatch(/remote: shop staging: release v2 \(push main/);
    expect((await get("staging")).body).toBe("two staging\n");
    expect((await get("production")).body).toBe("one production\n");
    let stop = false;
    let failed = 0;
    const seen = new Map<string, number>();
    const loop = (async () => {
      for (let i = 0; i < 5000 && !stop; i++) {
        try {
          const r = await get("production");
          if (r.status !== 200) failed++;
          seen.set(r.body, (seen.get(r.body) ?? 0) + 1);
        } catch {
          failed++;
        }
      }
    })();
    const r = await alice(["promote", "shop", "--from", "staging", "--to", "production"]);
    stop = true;
    await loop;
    ok(r, "promote v2");
    expect(failed).toBe(0);
    expect(seen.get("one production\n")).toBeGreaterThan(0);
    expect((await get("production")).body).toBe("two production\n");
    expect((await show("production", 2)).images).toEqual((await show("staging", 2)).images);
  }, 600_000);

  it("rollback brings back an earlier release's images and its config, and warns about release commands run since", async () => {
    // A config change deployed at once: production v3 (v2's images, MODE=changed).
    ok(await alice(["env", "config", "shop", "production", "set", "MODE=changed", "--deploy"]), "config set --deploy");
    expect((await get("production")).body).toBe("two changed\n");
    expect(await show("production", 3)).toMatchObject({ reason: "config: set MODE", state: "live" });
    const r = ok(await alice(["rollback", "shop", "production", "v1"]), "rollback");
    expect(r.stdout).toMatch(/^v4 /);
    expect(r.stderr).toMatch(/warning: v2 ran its release command `echo migrating` after v1/);
    expect(r.stderr).toMatch(/warning: v3 ran its release command/);
    expect((await get("production")).body).toBe("one production\n");
    const v4 = await show("production", 4);
    expect(v4).toMatchObject({ reason: "rollback to v1", source: "production v1", state: "live" });
    expect(v4.images).toEqual(staging1.images);
    expect(ok(await alice(["env", "config", "shop", "production", "get", "MODE"]), "config get").stdout).toBe("production\n");
    const diff = ok(await alice(["release", "diff", "shop", "production", "v3", "v4"]), "release diff").stdout;
    expect(diff).toContain(`image web: ${(await show("production", 3)).images.web} -> ${staging1.images.web}`);
    expect(diff).toContain("config MODE: changed");
    expect(diff).not.toContain("production");
  }, 600_000);

  it("a viewer sees releases and config, masked, and can neither promote, roll back nor set config", async () => {
    refused(await as("vera", ["promote", "shop", "--from", "staging", "--to", "production"]), "viewer promote");
    refused(await as("vera", ["rollback", "shop", "production", "v2"]), "viewer rollback");
    refused(await as("vera", ["env", "config", "shop", "production", "set", "MODE=viewer"]), "viewer config set");
    const shown = ok(await as("vera", ["release", "show", "shop", "production", "v4"]), "viewer release show").stdout;
    expect(shown).toContain("TOKEN=••••••••");
    const config = ok(await as("vera", ["env", "config", "shop", "production"]), "viewer config").stdout;
    for (const text of [shown, config, ok(await as("vera", ["release", "ls", "shop", "production"]), "release ls").stdout]) expect(text).not.toContain("prod-secret-42");
    expect((await show("production", 4, "vera")).state).toBe("live");
    expect((await get("production")).body).toBe("one production\n");
  }, 120_000);

  it("rollback with no release named goes back to the one before the live one, config and all", async () => {
    const r = ok(await alice(["rollback", "shop", "production"]), "rollback");
    expect(r.stdout).toMatch(/^v5 /);
    expect(r.stderr).toMatch(/rolling production back to v3/);
    expect(await show("production", 5)).toMatchObject({ reason: "rollback to v3", source: "production v3", state: "live" });
    expect((await get("production")).body).toBe("two changed\n");
    expect(ok(await alice(["env", "config", "shop", "production", "get", "MODE"]), "config get").stdout).toBe("changed\n");
    expect((await show("production", 4)).state).toBe("superseded");
  }, 300_000);

  it("production is the team's public site: its own domain answers signed out at once, and goes on while web is stopped", async () => {
    ok(await as("admin", ["env", "set", "shop", "production", "--domains", "shop.example.test"]), "env set --domains (an admin's)");
    const live = (await get("production")).body;
    // No sign-in: production is public; its domain routes to it as soon as it is set (the live release's route gets it).
    const signedOut = (host: string) => plainGet(host);
    let first = await signedOut("shop.example.test");
    for (let i = 0; i < 50 && first.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      first = await signedOut("shop.example.test");
    }
    expect(first).toEqual({ status: 200, body: live });
    // staging follows a branch: test code, the team's only
    expect((await signedOut(`env--staging--shop--${TEAM}.localhost`)).status).not.toBe(200);
    const web = pidOf(b.home, "web/dist/server.js");
    expect(web, "web's process").not.toBeNull();
    process.kill(web!, "SIGSTOP");
    try {
      for (let i = 0; i < 20; i++) {
        expect(await signedOut(i % 2 ? "shop.example.test" : `env--production--shop--${TEAM}.localhost`)).toEqual({ status: 200, body: live });
      }
    } finally {
      process.kill(web!, "SIGCONT");
    }
    // The edge logged them for the environment: a viewer reads the access log (its host, path, status).
    // The edge writes its log in batches (every 250 ms): read until the loop's requests are there.
    type Logged = { host: string; path: string; status: number; method: string };
    const read = async () => JSON.parse(ok(await as("vera", ["env", "requests", "shop", "production", "-n", "20", "--format", "json"]), "env requests").stdout) as Logged[];
    let logged = await read();
    for (let i = 0; i < 40 && logged.filter((r) => r.host.startsWith("shop.example.test")).length < 10; i++) {
      await new Promise((r) => setTimeout(r, 250));
      logged = await read();
    }
    expect(logged).toHaveLength(20);
    expect(logged.filter((r) => r.host.startsWith("shop.example.test")).length).toBe(10);
    expect(logged.every((r) => r.status === 200 && r.method === "GET" && r.path === "/")).toBe(true);
    const text = ok(await alice(["env", "requests", "shop", "production", "-n", "1"]), "env requests (text)").stdout;
    expect(text).toMatch(/^\S+ \S+ GET \S+\/ HTTP\/1\.1 200 \d+ \d+\.\dms\n$/);
  }, 120_000);

  it("README's Promote to production shows the commands run here", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const part = readme.slice(readme.indexOf("## Promote to production"), readme.indexOf("## Security model"));
    for (const cmd of ["berth promote shop --from staging --to production", "berth release show shop production v1", "berth rollback shop production v1", "berth rollback shop production", "berth release ls shop staging", "berth release diff shop production", "berth env config shop production set"]) {
      expect(ran.some((r) => r.startsWith(cmd)), `ran ${cmd}`).toBe(true);
      expect(part, cmd).toContain(cmd);
    }
  });
});
