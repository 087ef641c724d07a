import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { run, useInstance, type RunResult } from "./harness.js";
import { OCI_MANIFEST, req, token } from "./registry-helpers.js";

/**
 * A local tag belongs to one team; the shared base images to the site admin. `load` of an
 * archive naming another team's tag (or busybox), and `pull` of a ref whose local tag is another
 * team's, are refused, and the tag keeps pointing where it did: alice cannot swap the image
 * bob's next `run` starts.
 */
const b = useInstance();

interface User {
  token: string;
  berth(args: string[]): Promise<RunResult>;
}
const users: Record<"alice" | "bob", User> = {} as never;
const host = () => `127.0.0.1:${b.port}`;
let dir = "";

async function ok(u: User | undefined, args: string[]): Promise<string> {
  const r = u ? await u.berth(args) : await b.berth(args);
  expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Image id a ref points at, as its owner (or the site admin) sees it. */
const idOf = async (u: User | undefined, ref: string) => (await ok(u, ["image", "inspect", "--format", "{{.Id}}", ref])).trim();

/** alice's image saved as a docker-archive that names `tag` instead. */
async function archiveNaming(tag: string): Promise<string> {
  const work = fs.mkdtempSync(path.join(dir, "ar-"));
  const tar = path.join(work, "src.tar");
  await ok(users.alice, ["save", "-o", tar, "alice-app:1"]);
  const x = path.join(work, "x");
  fs.mkdirSync(x);
  expect((await run("tar", ["-xf", tar, "-C", x])).code).toBe(0);
  const manifest = JSON.parse(fs.readFileSync(path.join(x, "manifest.json"), "utf8")) as { RepoTags: string[] }[];
  manifest[0]!.RepoTags = [tag];
  fs.writeFileSync(path.join(x, "manifest.json"), JSON.stringify(manifest));
  fs.rmSync(path.join(x, "repositories"), { force: true });
  const out = path.join(work, "renamed.tar");
  expect((await run("tar", ["-cf", out, "-C", x, "."])).code).toBe(0);
  return out;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(b.home, "tags-"));
  for (const name of ["alice", "bob"] as const) {
    const r = await b.berth(["user", "create", name]);
    expect(r.code, r.stderr).toBe(0);
    const t = r.stdout.trim();
    users[name] = { token: t, berth: (args) => b.berth(args, { env: { BERTH_TOKEN: t, BERTH_TEAM: "", XDG_CONFIG_HOME: `${b.home}/cfg-${name}` }, timeoutMs: 120_000 }) };
    const ctx = fs.mkdtempSync(path.join(dir, `ctx-${name}-`));
    fs.writeFileSync(path.join(ctx, "Dockerfile"), `FROM busybox\nRUN echo ${name} > /who\n`);
    await ok(users[name], ["build", "-q", "-t", `${name}-app:1`, ctx]);
  }
}, 180_000);

describe("tags belong to a team", () => {
  it("load of an archive naming another team's tag is refused, and the tag still points at their image", async () => {
    const { alice, bob } = users;
    const before = await idOf(bob, "bob-app:1");
    const r = await alice.berth(["load", "-i", await archiveNaming("bob-app:1")]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/tag bob-app:1 is not available to team alice/);
    expect(await idOf(bob, "bob-app:1")).toBe(before);
    expect(await ok(bob, ["run", "--rm", "bob-app:1", "cat", "/who"])).toBe("bob\n");
  });

  it("load of an archive naming a shared base image is refused to a non-admin, and busybox is unchanged", async () => {
    const before = await idOf(undefined, "busybox:latest");
    const r = await users.alice.berth(["load", "-i", await archiveNaming("busybox:latest")]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/tag busybox:latest is a shared base image: only the site admin changes what it points at/);
    expect(await idOf(undefined, "busybox:latest")).toBe(before);
    expect(await ok(users.bob, ["run", "--rm", "busybox", "sh", "-c", "test -e /who || echo clean"])).toBe("clean\n");
  });

  it("pull of a ref whose local tag is another team's is refused, and the tag still points at their image", async () => {
    const { alice, bob } = users;
    const ref = `${host()}/alice/app:1`;
    // bob holds the local name first.
    await ok(bob, ["tag", "bob-app:1", ref]);
    const before = await idOf(bob, ref);
    // alice cannot tag it, so she pushes her image as :2 and copies it to :1 in her repository.
    expect((await alice.berth(["tag", "alice-app:1", ref])).stderr).toMatch(/not available to team alice/);
    await ok(alice, ["tag", "alice-app:1", `${host()}/alice/app:2`]);
    await ok(alice, ["push", `${host()}/alice/app:2`]);
    const t = (await token(b.url, ["repository:alice/app:pull,push"], { user: "alice", pass: alice.token })).token;
    const m = await req(b.url, "GET", "/v2/alice/app/manifests/2", { token: t, headers: { accept: `${OCI_MANIFEST}, application/vnd.docker.distribution.manifest.v2+json` } });
    expect(m.status).toBe(200);
    const put = await req(b.url, "PUT", "/v2/alice/app/manifests/1", { token: t, body: m.body, headers: { "content-type": m.headers.get("content-type")! } });
    expect(put.status, put.body.toString()).toBe(201);

    const r = await alice.berth(["pull", ref]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/tag 127\.0\.0\.1:\d+\/alice\/app:1 is not available to team alice/);
    expect(await idOf(bob, ref)).toBe(before);
    expect(await ok(bob, ["run", "--rm", ref, "cat", "/who"])).toBe("bob\n");
  });

  it("tag and build -t of another team's tag are refused too", async () => {
    const { alice, bob } = users;
    const before = await idOf(bob, "bob-app:1");
    expect((await alice.berth(["tag", "alice-app:1", "bob-app:1"])).stderr).toMatch(/tag bob-app:1 is not available to team alice/);
    const ctx = fs.mkdtempSync(path.join(dir, "ctx-"));
    fs.writeFileSync(path.join(ctx, "Dockerfile"), "FROM busybox\nRUN echo mallory > /who\n");
    const built = await alice.berth(["build", "-q", "-t", "bob-app:1", ctx]);
    expect(built.code).not.toBe(0);
    expect(built.stderr).toMatch(/tag bob-app:1 is not available to team alice/);
    expect((await alice.berth(["build", "-q", "-t", "busybox:latest", ctx])).stderr).toMatch(/shared base images are changed only by the site admin/);
    expect(await idOf(bob, "bob-app:1")).toBe(before);
  });
});
