import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildProgram, UsageExit, type Handlers } from "./program.js";
import { credentialsPath, removeLogin, storedLogin, storeLogin } from "./credentials.js";
import { readToken } from "./client.js";
import { reposTable } from "./commands/repo.js";
import { searchTable } from "./commands/search.js";

async function parse(argv: string[]) {
  const calls: Record<string, unknown> = {};
  const spy = (name: string) => async (a?: unknown) => void (calls[name] = a ?? true);
  const handlers: Partial<Handlers> = {
    repo: spy("repo"),
    user: spy("user"),
    token: spy("token"),
    whoami: spy("whoami"),
    search: spy("search"),
    login: spy("login"),
    logout: spy("logout"),
  };
  const program = buildProgram(handlers);
  const quiet = { writeOut: () => {}, writeErr: () => {} };
  const all = (c: typeof program): (typeof program)[] => [c, ...c.commands.flatMap(all)];
  for (const c of all(program)) c.configureOutput(quiet);
  let exit: number | undefined;
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (!(e instanceof UsageExit)) throw e;
    exit = e.exitCode;
  }
  return { calls, exit };
}

describe("registry commands parse", () => {
  it("repo ls|inspect|set|rm", async () => {
    expect((await parse(["repo", "ls"])).calls.repo).toEqual({ action: "ls", quiet: false });
    expect((await parse(["repo", "list", "-q"])).calls.repo).toEqual({ action: "ls", quiet: true });
    expect((await parse(["repo", "inspect", "a/b", "c/d"])).calls.repo).toEqual({ action: "inspect", names: ["a/b", "c/d"] });
    expect((await parse(["repo", "set", "a/b", "--public"])).calls.repo).toEqual({ action: "set", name: "a/b", public: true });
    expect((await parse(["repo", "set", "a/b", "--private", "--description", "x y"])).calls.repo).toEqual({ action: "set", name: "a/b", public: false, description: "x y" });
    expect((await parse(["repo", "rm", "a/b"])).calls.repo).toEqual({ action: "rm", names: ["a/b"] });
    expect((await parse(["repo", "set", "a/b", "--public", "--private"])).exit).toBe(1);
    expect((await parse(["repo", "inspect"])).exit).toBe(1);
  });

  it("user, token, whoami, search, login, logout", async () => {
    expect((await parse(["user", "create", "bob", "--admin"])).calls.user).toEqual({ name: "bob", admin: true });
    expect((await parse(["user", "create", "bob"])).calls.user).toEqual({ name: "bob", admin: false });
    expect((await parse(["token", "create", "--read-only"])).calls.token).toEqual({ readOnly: true });
    expect((await parse(["whoami"])).calls.whoami).toBe(true);
    expect((await parse(["search", "app"])).calls.search).toEqual({ term: "app" });
    expect((await parse(["search", "--limit", "3", "app"])).calls.search).toEqual({ term: "app", limit: 3 });
    expect((await parse(["search", "--limit", "x", "app"])).exit).toBe(125);
    expect((await parse(["login", "-u", "bob", "--password-stdin"])).calls.login).toEqual({ username: "bob", passwordStdin: true });
    expect((await parse(["login"])).calls.login).toEqual({ passwordStdin: false });
    expect((await parse(["logout"])).calls.logout).toBe(true);
    expect((await parse(["user", "create"])).exit).toBe(1);
  });
});

describe("stored logins", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "berth-creds-"));
    file = path.join(dir, "berth", "credentials.json");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("live in $XDG_CONFIG_HOME or ~/.config", () => {
    expect(credentialsPath({ HOME: "/home/x" })).toBe("/home/x/.config/berth/credentials.json");
    expect(credentialsPath({ HOME: "/home/x", XDG_CONFIG_HOME: "/cfg" })).toBe("/cfg/berth/credentials.json");
  });

  it("are kept per server URL, mode 0600, and removed by logout", () => {
    storeLogin("http://a:3000/", { user: "bob", token: "berth_a" }, file);
    storeLogin("http://b:3000", { user: "eve", token: "berth_b", minted: true }, file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(storedLogin("http://a:3000", file)).toEqual({ user: "bob", token: "berth_a" });
    expect(storedLogin("http://c:3000", file)).toBeUndefined();
    expect(removeLogin("http://b:3000", file)).toEqual({ user: "eve", token: "berth_b", minted: true });
    expect(removeLogin("http://b:3000", file)).toBeUndefined();
    expect(Object.keys(JSON.parse(readFileSync(file, "utf8")).servers)).toEqual(["http://a:3000"]);
  });

  it("come after BERTH_TOKEN and before admin.token", () => {
    const prev = { HOME: process.env.HOME, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME };
    process.env.XDG_CONFIG_HOME = dir;
    try {
      storeLogin("http://a:3000", { user: "bob", token: "berth_stored" }, file);
      expect(readToken({ token: "berth_env", home: dir, url: "http://a:3000" })).toBe("berth_env");
      expect(readToken({ token: undefined, home: dir, url: "http://a:3000" })).toBe("berth_stored");
      expect(() => readToken({ token: undefined, home: dir, url: "http://other:3000" })).toThrow(/no credentials/);
    } finally {
      for (const [k, v] of Object.entries(prev)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

describe("tables", () => {
  const repo = { name: "bob/app", public: false, description: "An\napp", owner: "bob", tagCount: 2, createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z" };
  it("repo ls and search", () => {
    expect(reposTable([repo], Date.parse("2026-01-01T00:02:00Z"))).toBe(
      "REPOSITORY   VISIBILITY   TAGS      UPDATED         DESCRIPTION\nbob/app      private      2         2 minutes ago   An app\n",
    );
    expect(searchTable([{ ...repo, public: true }])).toBe("NAME      DESCRIPTION   VISIBILITY\nbob/app   An app        public\n");
  });
});
