/**
 * Web keeps who a token, session or registry token is in memory for a few seconds (so a push's
 * requests do not each read the same rows), and a change of rights must still count at once:
 * a revoked API token (and every registry token made from it), a member removed or demoted,
 * a signed-out session. Each check below comes right after requests that filled the cache.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { useInstance } from "./harness.js";
import { pushBlob, req, sha256, token, type Creds } from "./registry-helpers.js";

const b = useInstance();
const users: Record<"owner" | "bob", Creds> = {} as never;

const as = (u: Creds, args: string[]) => b.berth(args, { env: { BERTH_TOKEN: u.pass, BERTH_TEAM: "", XDG_CONFIG_HOME: `${b.home}/cfg-${u.user}` } });

async function trpc(auth: { token?: string; cookie?: string }, proc: string, input?: unknown, kind: "query" | "mutation" = "mutation"): Promise<{ status: number; data: unknown }> {
  const headers: Record<string, string> = { "content-type": "application/json", "x-berth-csrf": "1" };
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  if (auth.cookie) headers.cookie = auth.cookie;
  const q = kind === "query" && input !== undefined ? `?input=${encodeURIComponent(JSON.stringify(input))}` : "";
  const res = await fetch(`${b.url}/api/trpc/${proc}${q}`, { method: kind === "query" ? "GET" : "POST", headers, ...(kind === "mutation" ? { body: JSON.stringify(input ?? {}) } : {}) });
  const body = (await res.json()) as { result?: { data: unknown } };
  return { status: res.status, data: body.result?.data };
}

/** A few requests of each kind, so every answer is in the cache before the change. */
async function warm(fn: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 3; i++) await fn();
}

beforeAll(async () => {
  for (const name of ["owner", "bob"] as const) {
    const r = await b.berth(["user", "create", `ac${name}`]);
    expect(r.code, r.stderr).toBe(0);
    users[name] = { user: `ac${name}`, pass: r.stdout.trim() };
  }
  expect((await as(users.owner, ["team", "create", "cachers"])).code).toBe(0);
  const add = await as(users.owner, ["team", "add", "cachers", users.bob.user, "--role", "member"]);
  expect(add.code, add.stderr).toBe(0);
}, 60_000);

describe("remembered sign-ins forget at once", () => {
  it("a revoked API token is refused at once: directly, at the token endpoint, by tRPC, and the registry token made from it", async () => {
    const made = await trpc({ token: users.bob.pass }, "token.create", { name: "laptop" });
    expect(made.status).toBe(200);
    const second = (made.data as { token: string }).token;
    const creds = { user: users.bob.user, pass: second };
    const jwt = (await token(b.url, ["repository:cachers/app:pull,push"], creds)).token;
    expect(jwt).not.toBe("");
    const digest = await pushBlob(b.url, jwt, "cachers/app", Buffer.from("remembered"));

    await warm(async () => {
      expect((await req(b.url, "GET", "/v2/", { token: second })).status).toBe(200);
      expect((await req(b.url, "HEAD", `/v2/cachers/app/blobs/${digest}`, { token: jwt })).status).toBe(200);
      expect((await token(b.url, ["repository:cachers/app:pull"], creds)).status).toBe(200);
      expect((await trpc({ token: second }, "token.list", undefined, "query")).status).toBe(200);
    });

    const list = (await trpc({ token: users.bob.pass }, "token.list", undefined, "query")).data as { id: string; name: string }[];
    const id = list.find((t) => t.name === "laptop")!.id;
    expect((await trpc({ token: users.bob.pass }, "token.revoke", { id })).status).toBe(200);

    expect((await req(b.url, "GET", "/v2/", { token: second })).status).toBe(401);
    const head = await req(b.url, "HEAD", `/v2/cachers/app/blobs/${digest}`, { token: jwt });
    expect(head.status).toBe(401);
    expect((await token(b.url, ["repository:cachers/app:pull"], creds)).status).toBe(401);
    expect((await trpc({ token: second }, "token.list", undefined, "query")).status).toBe(401);
    // The user's other token is untouched.
    expect((await req(b.url, "GET", "/v2/", { token: users.bob.pass })).status).toBe(200);
  });

  it("a member demoted to viewer cannot push at once, and one removed cannot even pull", async () => {
    const jwt = (await token(b.url, ["repository:cachers/app:pull,push"], users.bob)).token;
    const data = Buffer.from(`pushed by a member ${Date.now()}`);
    await warm(async () => {
      expect((await req(b.url, "POST", "/v2/cachers/app/blobs/uploads/", { token: jwt })).status).toBe(202);
      expect((await req(b.url, "HEAD", `/v2/cachers/app/blobs/${sha256(data)}`, { token: jwt })).status).toBe(404);
    });

    expect((await as(users.owner, ["team", "add", "cachers", users.bob.user, "--role", "viewer"])).code).toBe(0);
    const refused = await req(b.url, "POST", `/v2/cachers/app/blobs/uploads/?digest=${sha256(data)}`, { token: jwt, body: data });
    expect([refused.status, refused.code]).toEqual([403, "DENIED"]);
    expect((await req(b.url, "HEAD", `/v2/cachers/app/blobs/${sha256(data)}`, { token: jwt })).status).toBe(404);

    expect((await as(users.owner, ["team", "remove", "cachers", users.bob.user])).code).toBe(0);
    expect((await req(b.url, "HEAD", `/v2/cachers/app/blobs/${sha256(data)}`, { token: jwt })).status).toBe(401);
    expect((await token(b.url, ["repository:cachers/app:pull,push"], users.bob)).access).toEqual([]);

    // Back as a member: the same registry token pushes again, at once.
    expect((await as(users.owner, ["team", "add", "cachers", users.bob.user, "--role", "member"])).code).toBe(0);
    expect((await req(b.url, "POST", `/v2/cachers/app/blobs/uploads/?digest=${sha256(data)}`, { token: jwt, body: data })).status).toBe(201);
  });

  it("a session is refused at once after signing out", async () => {
    const pw = "cache-test-password-1";
    expect((await trpc({ token: b.token }, "user.create", { name: "acsession", password: pw })).status).toBe(200);
    const login = await fetch(`${b.url}/api/trpc/auth.login`, { method: "POST", headers: { "content-type": "application/json", "x-berth-csrf": "1" }, body: JSON.stringify({ name: "acsession", password: pw }) });
    expect(login.status, await login.clone().text()).toBe(200);
    const cookie = (login.headers.get("set-cookie") ?? "").split(";", 1)[0]!;
    await warm(async () => expect((await trpc({ cookie }, "token.list", undefined, "query")).status).toBe(200));
    expect((await trpc({ cookie }, "auth.logout")).status).toBe(200);
    expect((await trpc({ cookie }, "token.list", undefined, "query")).status).toBe(401);
  });
});
