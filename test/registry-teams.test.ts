/**
 * Registry repositories belong to teams: `acme/api` is team acme's. A member pushes and pulls
 * it (raw /v2 API and skopeo, with API tokens), a viewer only pulls, anyone else gets exactly
 * the answers a missing repository gets and does not find it in the catalog or `berth search`.
 * A user's personal team keeps `alice/x` hers; public repositories stay pullable by anyone.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, useInstance } from "./harness.js";
import { makeImage, pushBlob, pushImage, req, token, writeOciLayout, type Creds, type Res, type TestImage } from "./registry-helpers.js";

const b = useInstance();
const users: Record<"alice" | "mia" | "vic" | "bob", Creds> = {} as never;
let img: TestImage;
let dir = "";

const host = () => new URL(b.url).host;
const as = (u: Creds, args: string[], team?: string) => b.berth(args, { env: { BERTH_TOKEN: u.pass, BERTH_TEAM: team ?? "", XDG_CONFIG_HOME: `${b.home}/cfg-${u.user}` } });
const catalogOf = async (u?: Creds) => (await req(b.url, "GET", "/v2/_catalog", u ? { token: (await token(b.url, ["registry:catalog:*"], u)).token } : {})).json<{ repositories: string[] }>().repositories;

async function skopeo(args: string[]) {
  return run("skopeo", ["--insecure-policy", ...args], { timeoutMs: 60_000 });
}

beforeAll(async () => {
  for (const name of ["alice", "mia", "vic", "bob"] as const) {
    const r = await b.berth(["user", "create", name]);
    expect(r.code, r.stderr).toBe(0);
    users[name] = { user: name, pass: r.stdout.trim() };
  }
  const { alice } = users;
  expect((await as(alice, ["team", "create", "acme"])).code).toBe(0);
  for (const [who, role] of [["mia", "member"], ["vic", "viewer"]] as const) {
    const add = await as(alice, ["team", "add", "acme", who, "--role", role]);
    expect(add.code, add.stderr).toBe(0);
  }
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-reg-teams-"));
}, 60_000);
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** What an outsider can learn from an answer, with the repository name swapped out. */
function shape(r: Res, name: string) {
  const strip = (s: string | null) => (s ?? "").split(name).join("NAME");
  return { status: r.status, code: r.code, challenge: strip(r.headers.get("www-authenticate")), body: strip(r.body.toString()) };
}

describe("a team's registry repositories", () => {
  it("a member pushes acme/api with an API token, and the repository is the team's", async () => {
    const { mia, alice } = users;
    const t = await token(b.url, ["repository:acme/api:pull,push"], mia);
    expect(t.access).toEqual([{ type: "repository", name: "acme/api", actions: ["pull", "push"] }]);
    img = await pushImage(b.url, t.token, "acme/api", "v1", makeImage("oci", "acme"));
    const got = await req(b.url, "GET", "/v2/acme/api/manifests/v1", { token: t.token, headers: { accept: "application/vnd.oci.image.manifest.v1+json" } });
    expect(got.status).toBe(200);
    expect(got.body.equals(img.manifest)).toBe(true);
    // The API token used directly as a bearer, too.
    expect((await req(b.url, "GET", "/v2/acme/api/tags/list", { token: mia.pass })).json()).toEqual({ name: "acme/api", tags: ["v1"] });
    // alice did not push it: she reaches it as acme's owner, and can delete in it.
    const at = await token(b.url, ["repository:acme/api:pull,push,delete"], alice);
    expect(at.access[0]?.actions).toEqual(["pull", "push", "delete"]);
    expect(await catalogOf(alice)).toContain("acme/api");
  });

  it("a member pushes and pulls with skopeo, logging in with an API token", async () => {
    const which = await run("sh", ["-c", "command -v skopeo"]);
    expect(which.code, "skopeo is not installed: run scripts/setup.sh --test").toBe(0);
    const creds = `mia:${users.mia.pass}`;
    writeOciLayout(path.join(dir, "src"), "1", { "etc/hello": "hello acme\n" });
    const push = await skopeo(["copy", "--dest-creds", creds, "--dest-tls-verify=false", `oci:${path.join(dir, "src", "layout")}:1`, `docker://${host()}/acme/tool:1`]);
    expect(push.code, push.stderr).toBe(0);
    const pull = await skopeo(["copy", "--src-creds", creds, "--src-tls-verify=false", `docker://${host()}/acme/tool:1`, `oci:${path.join(dir, "out")}:1`]);
    expect(pull.code, pull.stderr).toBe(0);
    // A viewer pulls it with skopeo too, but cannot push.
    const vic = `vic:${users.vic.pass}`;
    const vpull = await skopeo(["copy", "--src-creds", vic, "--src-tls-verify=false", `docker://${host()}/acme/tool:1`, `oci:${path.join(dir, "vic")}:1`]);
    expect(vpull.code, vpull.stderr).toBe(0);
    const vpush = await skopeo(["copy", "--dest-creds", vic, "--dest-tls-verify=false", `oci:${path.join(dir, "src", "layout")}:1`, `docker://${host()}/acme/tool:2`]);
    expect(vpush.code).not.toBe(0);
    expect(vpush.stderr).toMatch(/denied|unauthorized/i);
  });

  it("a viewer pulls, but neither pushes nor deletes", async () => {
    const { vic } = users;
    const t = await token(b.url, ["repository:acme/api:pull,push,delete"], vic);
    expect(t.access).toEqual([{ type: "repository", name: "acme/api", actions: ["pull"] }]);
    const got = await req(b.url, "GET", `/v2/acme/api/manifests/${img.digest}`, { token: t.token });
    expect(got.status).toBe(200);
    expect(await catalogOf(vic)).toContain("acme/api");
    // Through the API token directly: the registry says what it refuses.
    for (const [method, p] of [
      ["POST", "/v2/acme/api/blobs/uploads/"],
      ["DELETE", "/v2/acme/api/manifests/v1"],
      ["DELETE", `/v2/acme/api/blobs/${(JSON.parse(img.manifest.toString()) as { config: { digest: string } }).config.digest}`],
      ["POST", "/v2/acme/new/blobs/uploads/"],
    ] as const) {
      const r = await req(b.url, method, p, { token: vic.pass });
      expect(r.status, `${method} ${p}`).toBe(403);
      expect(r.code, `${method} ${p}`).toBe("DENIED");
    }
    await expect(pushBlob(b.url, t.token, "acme/api", Buffer.from("viewer bytes"))).rejects.toThrow(/401|403/);
    expect((await req(b.url, "GET", "/v2/acme/api/tags/list", { token: vic.pass })).json()).toEqual({ name: "acme/api", tags: ["v1"] });
  });

  it("answers a non-member exactly as a repository that does not exist, and hides it from catalog and search", async () => {
    const { bob } = users;
    const t = await token(b.url, ["repository:acme/api:pull,push,delete", "repository:acme/nothing:pull,push,delete"], bob);
    expect(t.access).toEqual([]);
    const config = (JSON.parse(img.manifest.toString()) as { config: { digest: string } }).config.digest;
    const paths = (n: string) => [
      ["GET", `/v2/${n}/manifests/v1`],
      ["HEAD", `/v2/${n}/manifests/v1`],
      ["GET", `/v2/${n}/manifests/${img.digest}`],
      ["GET", `/v2/${n}/blobs/${config}`],
      ["GET", `/v2/${n}/tags/list`],
      ["POST", `/v2/${n}/blobs/uploads/`],
      ["DELETE", `/v2/${n}/manifests/v1`],
    ];
    for (const tok of [t.token, bob.pass]) {
      const pa = paths("acme/api");
      const pb = paths("acme/nothing");
      for (let i = 0; i < pa.length; i++) {
        const [method, p] = pa[i]!;
        const ra = await req(b.url, method!, p!, { token: tok });
        const rb = await req(b.url, method!, pb[i]![1]!, { token: tok });
        expect(ra.status, `${method} ${p}`).toBeGreaterThanOrEqual(400);
        expect(shape(ra, "acme/api"), `${method} ${p}`).toEqual(shape(rb, "acme/nothing"));
      }
    }
    expect(await catalogOf(bob)).not.toContain("acme/api");
    expect(await catalogOf()).not.toContain("acme/api");
    const search = await as(bob, ["search", "api"]);
    expect(search.code, search.stderr).toBe(0);
    expect(search.stdout).not.toContain("acme/api");
    expect((await as(users.vic, ["search", "api"])).stdout).toContain("acme/api");
  });

  it("refuses a push to a namespace that is neither the caller's team nor their own", async () => {
    const { bob, vic } = users;
    const t = await token(b.url, ["repository:acme/bobs:pull,push", "repository:alice/bobs:pull,push", "repository:bob/mine:pull,push"], bob);
    expect(t.access).toEqual([{ type: "repository", name: "bob/mine", actions: ["pull", "push"] }]);
    await expect(pushImage(b.url, t.token, "acme/bobs", "v1")).rejects.toThrow(/401/);
    await expect(pushImage(b.url, bob.pass, "alice/bobs", "v1")).rejects.toThrow(/401/);
    // bob's own namespace is his personal team's; vic (a viewer of acme) cannot push to it either.
    await pushImage(b.url, t.token, "bob/mine", "v1");
    expect(await catalogOf(bob)).toContain("bob/mine");
    expect(await catalogOf(vic)).not.toContain("bob/mine");
    await expect(pushImage(b.url, vic.pass, "bob/other", "v1")).rejects.toThrow(/401/);
  });

  it("keeps alice/x alice's, and a team-limited token does not reach other namespaces", async () => {
    const { alice, mia } = users;
    await pushImage(b.url, alice.pass, "alice/x", "v1");
    expect(await catalogOf(alice)).toContain("alice/x");
    expect(await catalogOf(mia)).not.toContain("alice/x");
    expect((await req(b.url, "GET", "/v2/alice/x/tags/list", { token: mia.pass })).status).toBe(401);
    // mia's token limited to acme: acme's repositories, not her own namespace.
    const res = await fetch(`${b.url}/api/trpc/token.create`, { method: "POST", headers: { authorization: `Bearer ${mia.pass}`, "content-type": "application/json" }, body: JSON.stringify({ team: "acme", name: "acme-ci" }) });
    expect(res.status).toBe(200);
    const limited = ((await res.json()) as { result: { data: { token: string } } }).result.data.token;
    const t = await token(b.url, ["repository:acme/api:pull,push", "repository:mia/own:pull,push"], { user: "mia", pass: limited });
    expect(t.access).toEqual([{ type: "repository", name: "acme/api", actions: ["pull", "push"] }]);
    await expect(pushImage(b.url, limited, "mia/own", "v1")).rejects.toThrow(/401/);
    expect((await req(b.url, "GET", "/v2/acme/api/tags/list", { token: limited })).status).toBe(200);
  });

  it("a public team repository is pullable by anyone, still pushed only by members", async () => {
    const set = await as(users.alice, ["repo", "set", "acme/api", "--public"]);
    expect(set.code, set.stderr).toBe(0);
    const anon = await token(b.url, ["repository:acme/api:pull,push"]);
    expect(anon.access).toEqual([{ type: "repository", name: "acme/api", actions: ["pull"] }]);
    expect((await req(b.url, "GET", "/v2/acme/api/manifests/v1", { token: anon.token })).status).toBe(200);
    const bob = await token(b.url, ["repository:acme/api:pull,push,delete"], users.bob);
    expect(bob.access).toEqual([{ type: "repository", name: "acme/api", actions: ["pull"] }]);
    const r = await req(b.url, "POST", "/v2/acme/api/blobs/uploads/", { token: users.bob.pass });
    expect(r.status).toBe(403);
    expect(await catalogOf(users.bob)).toContain("acme/api");
  });
});
