/**
 * Who sees and changes what in the registry: private repositories are invisible to outsiders
 * (the same answers as for a repository that does not exist, absent from catalog and search),
 * public ones are pullable anonymously, read-only tokens only pull. Also the CLI's users,
 * tokens, repositories, search, login and logout.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, startInstance, type Instance } from "./harness.js";
import { trpc } from "./trpc.js";
import { makeImage, pushImage, req, token, type Creds, type Res } from "./registry-helpers.js";

let b: Instance;
let admin: Creds;
let bob: Creds;
let secretDigest: string;
let configDigest: string;
let home: string;

beforeAll(async () => {
  b = await startInstance();
  admin = { user: "admin", pass: b.token };
  home = fs.mkdtempSync(path.join(os.tmpdir(), "berth-login-"));
  const created = await b.berth(["user", "create", "bob"]);
  expect(created.stderr).toBe("");
  expect(created.code).toBe(0);
  bob = { user: "bob", pass: created.stdout.trim() };
  expect(bob.pass).toMatch(/^berth_/);
  const t = await token(b.url, ["repository:admin/secret:pull,push"], admin);
  const img = await pushImage(b.url, t.token, "admin/secret", "v1", makeImage("oci", "secret"));
  secretDigest = img.digest;
  configDigest = (JSON.parse(img.manifest.toString()) as { config: { digest: string } }).config.digest;
  await b.berth(["repo", "set", "admin/secret", "--description", "classified payload"]);
});
afterAll(async () => {
  await b?.stop();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

/** What an outsider can learn from an answer: status, error code, challenge, body — with the name swapped out. */
function shape(r: Res, name: string) {
  const strip = (s: string | null) => (s ?? "").split(name).join("NAME");
  return { status: r.status, code: r.code, challenge: strip(r.headers.get("www-authenticate")), body: strip(r.body.toString()) };
}

/** The same requests against two repositories, as the given caller (a token, or none). */
async function compare(tok: string | undefined, a: string, b2: string) {
  const paths = (n: string) => [
    ["GET", `/v2/${n}/manifests/v1`],
    ["HEAD", `/v2/${n}/manifests/v1`],
    ["GET", `/v2/${n}/manifests/${secretDigest}`],
    ["GET", `/v2/${n}/blobs/${configDigest}`],
    ["HEAD", `/v2/${n}/blobs/${configDigest}`],
    ["GET", `/v2/${n}/tags/list`],
    ["GET", `/v2/${n}/referrers/${secretDigest}`],
    ["POST", `/v2/${n}/blobs/uploads/`],
    ["DELETE", `/v2/${n}/manifests/v1`],
  ];
  const pa = paths(a);
  const pb = paths(b2);
  for (let i = 0; i < pa.length; i++) {
    const [method, p] = pa[i]!;
    const ra = await req(b.url, method!, p!, tok ? { token: tok } : {});
    const rb = await req(b.url, method!, pb[i]![1]!, tok ? { token: tok } : {});
    expect(ra.status, `${method} ${p}`).toBeGreaterThanOrEqual(400);
    expect(shape(ra, a), `${method} ${p}`).toEqual(shape(rb, b2));
  }
}

describe("private repositories", () => {
  it("answer anonymous callers exactly as a repository that does not exist", async () => {
    await compare(undefined, "admin/secret", "admin/nothing");
    const anon = await token(b.url, ["repository:admin/secret:pull", "repository:admin/nothing:pull"]);
    expect(anon.access).toEqual([]);
    await compare(anon.token, "admin/secret", "admin/nothing");
    const r = await req(b.url, "GET", "/v2/admin/secret/manifests/v1");
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toBe(`Bearer realm="${b.url}/v2/token",service="berth",scope="repository:admin/secret:pull"`);
  });

  it("answer another user exactly as a repository that does not exist", async () => {
    const t = await token(b.url, ["repository:admin/secret:pull,push", "repository:admin/nothing:pull,push"], bob);
    expect(t.status).toBe(200);
    expect(t.access).toEqual([]);
    await compare(t.token, "admin/secret", "admin/nothing");
    // With bob's API token used directly, too.
    await compare(bob.pass, "admin/secret", "admin/nothing");
  });

  it("are absent from the catalog and from search, for anonymous callers and other users", async () => {
    const anonCatalog = await req(b.url, "GET", "/v2/_catalog");
    expect(anonCatalog.status).toBe(200);
    expect(anonCatalog.json<{ repositories: string[] }>().repositories).not.toContain("admin/secret");
    const bobCatalog = await req(b.url, "GET", "/v2/_catalog", { token: (await token(b.url, ["registry:catalog:*"], bob)).token });
    expect(bobCatalog.json<{ repositories: string[] }>().repositories).not.toContain("admin/secret");
    const adminCatalog = await req(b.url, "GET", "/v2/_catalog", { token: (await token(b.url, ["registry:catalog:*"], admin)).token });
    expect(adminCatalog.json<{ repositories: string[] }>().repositories).toContain("admin/secret");

    for (const tok of [undefined, bob.pass]) {
      const s = await trpc<{ name: string }[]>(b.url, tok, "search.query", { q: "secret" });
      expect(s.status).toBe(200);
      expect(s.data).toEqual([]);
      const byDescription = await trpc<{ name: string }[]>(b.url, tok, "search.query", { q: "classified" });
      expect(byDescription.data).toEqual([]);
    }
    expect((await trpc<{ name: string }[]>(b.url, b.token, "search.query", { q: "CLASSIFIED" })).data!.map((r) => r.name)).toEqual(["admin/secret"]);
    expect((await b.berth(["search", "secret"], { env: { BERTH_TOKEN: bob.pass } })).stdout).not.toContain("admin/secret");
    expect((await trpc(b.url, bob.pass, "repo.list")).data).toEqual([]);
  });

  it("are not found through the API by outsiders, the same as missing ones", async () => {
    const secret = await trpc(b.url, bob.pass, "repo.byName", { name: "admin/secret" });
    const missing = await trpc(b.url, bob.pass, "repo.byName", { name: "admin/nothing" });
    expect(secret.status).toBe(404);
    expect(secret.error!.data!.code).toBe("NOT_FOUND");
    expect(secret.error!.message.replace("admin/secret", "NAME")).toBe(missing.error!.message.replace("admin/nothing", "NAME"));
    const set = await trpc(b.url, bob.pass, "repo.set", { name: "admin/secret", public: true }, "mutation");
    expect(set.error!.data!.code).toBe("NOT_FOUND");
    const cli = await b.berth(["repo", "inspect", "admin/secret"], { env: { BERTH_TOKEN: bob.pass } });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/not found/);
  });

  it("cannot be pushed to by other users", async () => {
    const t = await token(b.url, ["repository:admin/bobs-attempt:pull,push"], bob);
    expect(t.access).toEqual([]);
    const r = await req(b.url, "POST", "/v2/admin/bobs-attempt/blobs/uploads/", { token: t.token });
    expect(r.status).toBe(401);
    expect(r.code).toBe("UNAUTHORIZED");
  });

  it("become pullable anonymously after `repo set --public`, and visible in catalog and search", async () => {
    const set = await b.berth(["repo", "set", "admin/secret", "--public"]);
    expect(set.code).toBe(0);
    expect(set.stdout).toBe("admin/secret\n");
    const anon = await req(b.url, "GET", "/v2/admin/secret/manifests/v1", { headers: { accept: "application/vnd.oci.image.manifest.v1+json" } });
    expect(anon.status).toBe(200);
    expect(anon.headers.get("docker-content-digest")).toBe(secretDigest);
    const anonTok = await token(b.url, ["repository:admin/secret:pull,push"]);
    expect(anonTok.access).toEqual([{ type: "repository", name: "admin/secret", actions: ["pull"] }]);
    expect((await req(b.url, "GET", `/v2/admin/secret/blobs/${configDigest}`, { token: anonTok.token })).status).toBe(200);
    // Public means pull, not push.
    const push = await req(b.url, "POST", "/v2/admin/secret/blobs/uploads/", { token: anonTok.token });
    expect(push.status).toBe(401);
    const bobTok = await token(b.url, ["repository:admin/secret:pull,push"], bob);
    expect(bobTok.access).toEqual([{ type: "repository", name: "admin/secret", actions: ["pull"] }]);
    const bobPush = await req(b.url, "POST", "/v2/admin/secret/blobs/uploads/", { token: bobTok.token });
    expect(bobPush.status).toBe(403);
    expect(bobPush.code).toBe("DENIED");
    expect((await req(b.url, "GET", "/v2/_catalog")).json<{ repositories: string[] }>().repositories).toContain("admin/secret");
    expect((await trpc<{ name: string }[]>(b.url, undefined, "search.query", { q: "secret" })).data!.map((r) => r.name)).toEqual(["admin/secret"]);
    const search = await b.berth(["search", "classified"], { env: { BERTH_TOKEN: bob.pass } });
    expect(search.stdout).toMatch(/^NAME\s+DESCRIPTION\s+VISIBILITY\nadmin\/secret\s+classified payload\s+public\n$/);
    // Bob may see it, but not change it.
    const set2 = await b.berth(["repo", "set", "admin/secret", "--private"], { env: { BERTH_TOKEN: bob.pass } });
    expect(set2.code).toBe(1);
    expect(set2.stderr).toMatch(/only the owner/);
    expect((await b.berth(["repo", "set", "admin/secret", "--private"])).code).toBe(0);
    expect((await req(b.url, "GET", "/v2/admin/secret/manifests/v1")).status).toBe(401);
  });
});

describe("users and tokens", () => {
  it("a user pushes to their own namespace; the repository starts private and belongs to them", async () => {
    const t = await token(b.url, ["repository:bob/tool:pull,push"], bob);
    expect(t.access).toEqual([{ type: "repository", name: "bob/tool", actions: ["pull", "push"] }]);
    await pushImage(b.url, t.token, "bob/tool", "1");
    const ls = await b.berth(["repo", "ls"], { env: { BERTH_TOKEN: bob.pass } });
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^REPOSITORY\s+VISIBILITY\s+TAGS\s+UPDATED\s+DESCRIPTION\nbob\/tool\s+private\s+1\s+/);
    const inspect = await b.berth(["repo", "inspect", "bob/tool"], { env: { BERTH_TOKEN: bob.pass } });
    const [detail] = JSON.parse(inspect.stdout) as { name: string; owner: string; public: boolean; tags: { name: string }[]; access: string[] }[];
    expect(detail).toMatchObject({ name: "bob/tool", owner: "bob", public: false, tags: [{ name: "1" }], access: ["pull", "push", "delete"] });
    // The admin sees everything.
    expect((await b.berth(["repo", "ls", "-q"])).stdout).toBe("admin/secret\nbob/tool\n");
  });

  it("a read-only token pulls but cannot push or change anything", async () => {
    const made = await b.berth(["token", "create", "--read-only"], { env: { BERTH_TOKEN: bob.pass } });
    expect(made.code).toBe(0);
    const ro = made.stdout.trim();
    const t = await token(b.url, ["repository:bob/tool:pull,push,delete"], { user: "bob", pass: ro });
    expect(t.access).toEqual([{ type: "repository", name: "bob/tool", actions: ["pull"] }]);
    expect((await req(b.url, "GET", "/v2/bob/tool/manifests/1", { token: t.token })).status).toBe(200);
    const push = await req(b.url, "POST", "/v2/bob/tool/blobs/uploads/", { token: t.token });
    expect(push.status).toBe(403);
    expect(push.code).toBe("DENIED");
    const direct = await req(b.url, "DELETE", "/v2/bob/tool/manifests/1", { token: ro });
    expect(direct.status).toBe(403);
    const set = await trpc(b.url, ro, "repo.set", { name: "bob/tool", public: true }, "mutation");
    expect(set.error!.data!.code).toBe("FORBIDDEN");
    const more = await b.berth(["token", "create"], { env: { BERTH_TOKEN: ro } });
    expect(more.code).toBe(1);
    expect(more.stderr).toMatch(/read-only/);
  });

  it("only admins create users, with registry-compatible names", async () => {
    const r = await b.berth(["user", "create", "eve"], { env: { BERTH_TOKEN: bob.pass } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/admin only/);
    const bad = await b.berth(["user", "create", "Eve"]);
    expect(bad.code).toBe(1);
    const dup = await b.berth(["user", "create", "bob"]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already exists/);
    const adminUser = await b.berth(["user", "create", "root2", "--admin"]);
    expect(adminUser.code).toBe(0);
    const who = await b.berth(["whoami"], { env: { BERTH_TOKEN: adminUser.stdout.trim() } });
    expect(who.stdout).toBe("root2\n");
    // An admin may push anywhere.
    const t = await token(b.url, ["repository:bob/tool:pull,push"], { user: "root2", pass: adminUser.stdout.trim() });
    expect(t.access).toEqual([{ type: "repository", name: "bob/tool", actions: ["pull", "push"] }]);
  });

  it("removes a repository with `repo rm`", async () => {
    const t = await token(b.url, ["repository:bob/gone:pull,push"], bob);
    await pushImage(b.url, t.token, "bob/gone", "1");
    const rm = await b.berth(["repo", "rm", "bob/gone"], { env: { BERTH_TOKEN: bob.pass } });
    expect(rm.code).toBe(0);
    expect(rm.stdout).toBe("bob/gone\n");
    const t2 = await token(b.url, ["repository:bob/gone:pull"], bob);
    expect((await req(b.url, "GET", "/v2/bob/gone/tags/list", { token: t2.token })).code).toBe("NAME_UNKNOWN");
  });
});

describe("berth login", () => {
  const env = () => ({ BERTH_TOKEN: "", BERTH_HOME: path.join(home, "no-berth-home"), HOME: home, XDG_CONFIG_HOME: "" });
  const berthIn = (args: string[], stdin: string) =>
    run("sh", ["-c", `printf '%s' "$PASS" | node ${JSON.stringify(path.resolve("cli/bin/berth.js"))} ${args.map((a) => `'${a}'`).join(" ")}`], {
      env: { ...process.env, BERTH_URL: b.url, ...env(), PASS: stdin },
    });

  it("stores an API token per server (0600), is used by later commands, and logout forgets it", async () => {
    const none = await b.berth(["whoami"], { env: env() });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no credentials.*berth login/);

    const login = await berthIn(["login", "-u", "bob", "--password-stdin"], bob.pass);
    expect(login.stderr).toBe("");
    expect(login.stdout).toBe("Login Succeeded\n");
    const file = path.join(home, ".config", "berth", "credentials.json");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(file, "utf8")).servers[b.url]).toEqual({ user: "bob", token: bob.pass });
    expect((await b.berth(["whoami"], { env: env() })).stdout).toBe("bob\n");
    // BERTH_TOKEN still wins over the stored login.
    expect((await b.berth(["whoami"], { env: { ...env(), BERTH_TOKEN: b.token } })).stdout).toBe("admin\n");

    const out = await b.berth(["logout"], { env: env() });
    expect(out.stdout).toBe(`Removing login credentials for ${b.url}\n`);
    expect((await b.berth(["whoami"], { env: env() })).code).toBe(1);
    // The token given at login stays valid (it was the user's own).
    expect((await b.berth(["whoami"], { env: { BERTH_TOKEN: bob.pass } })).stdout).toBe("bob\n");
  });

  it("with a password, gets a new token for this client; logout revokes it", async () => {
    const made = await trpc<{ token: string }>(b.url, b.token, "user.create", { name: "carol", password: "carols-password" }, "mutation");
    expect(made.status).toBe(200);
    const bad = await berthIn(["login", "-u", "carol", "--password-stdin"], "wrong-password");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe("berth: login failed: invalid username or password\n");
    const login = await berthIn(["login", "-u", "carol", "--password-stdin"], "carols-password\n");
    expect(login.stdout).toBe("Login Succeeded\n");
    const stored = JSON.parse(fs.readFileSync(path.join(home, ".config", "berth", "credentials.json"), "utf8")).servers[b.url] as { user: string; token: string };
    expect(stored.user).toBe("carol");
    expect(stored.token).toMatch(/^berth_/);
    expect((await b.berth(["whoami"], { env: env() })).stdout).toBe("carol\n");
    // carol's password works for registry clients too.
    const t = await token(b.url, ["repository:carol/app:push"], { user: "carol", pass: "carols-password" });
    expect(t.access).toEqual([{ type: "repository", name: "carol/app", actions: ["push"] }]);
    await b.berth(["logout"], { env: env() });
    const revoked = await b.berth(["whoami"], { env: { BERTH_TOKEN: stored.token } });
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toMatch(/unauthorized/);
    expect((await b.berth(["logout"], { env: env() })).stdout).toBe(`Not logged in to ${b.url}\n`);
  });
});
