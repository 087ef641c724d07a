import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { useInstance, type RunResult } from "./harness.js";

/**
 * Host paths per team, granted by the site admin: alice (team acme) may bind-mount a granted
 * directory and what is under it, read-only when the grant says so, and nothing else (no
 * neighbour, no `..` or symlink climbing out of the grant); bob, in another team, may not; the
 * grants are the site admin's to change, and each change is in the audit log.
 */
const b = useInstance();

interface User {
  berth(args: string[], team?: string): Promise<RunResult>;
}
const users: Record<"alice" | "bob", User> = {} as never;
let cache = "";
let other = "";
let rw = "";

beforeAll(async () => {
  for (const name of ["alice", "bob"] as const) {
    const r = await b.berth(["user", "create", name]);
    expect(r.code, r.stderr).toBe(0);
    const token = r.stdout.trim();
    users[name] = { berth: (args, team) => b.berth(args, { env: { BERTH_TOKEN: token, BERTH_TEAM: team ?? "", XDG_CONFIG_HOME: `${b.home}/cfg-${name}` } }) };
  }
  expect((await users.alice.berth(["team", "create", "acme"])).code).toBe(0);
  const root = fs.mkdtempSync(path.join(b.home, "hostpaths-"));
  cache = path.join(root, "cache");
  other = path.join(root, "other");
  rw = path.join(root, "scratch");
  for (const d of [cache, other, rw]) fs.mkdirSync(d);
  fs.writeFileSync(path.join(cache, "shared.txt"), "cached\n");
  fs.writeFileSync(path.join(other, "secret.txt"), "secret\n");
  // A way out of the grant that a lexical check would miss.
  fs.symlinkSync(other, path.join(cache, "escape"));
  fs.symlinkSync("/etc", path.join(cache, "etc"));
}, 120_000);

const containers = async (u: User, team?: string) => (await u.berth(["ps", "-a", "-q"], team)).stdout.trim();

describe("host paths granted per team", () => {
  it("are the site admin's to grant", async () => {
    const r = await users.alice.berth(["team", "allow-path", "acme", cache]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/admin only/);
    const g = await b.berth(["team", "allow-path", "acme", `${cache}/`, "--read-only"]);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stdout).toContain(`team acme may bind-mount ${cache} (read-only)`);
    const g2 = await b.berth(["team", "allow-path", "acme", rw]);
    expect(g2.code, g2.stderr).toBe(0);
    const list = await users.alice.berth(["team", "paths", "acme"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`acme\\s+${cache}\\s+ro`));
    expect(list.stdout).toMatch(new RegExp(`acme\\s+${rw}\\s+rw`));
    // bob cannot see acme's grants.
    expect((await users.bob.berth(["team", "paths", "acme"])).stderr).toMatch(/team acme not found/);
  });

  it("let a member mount the granted path and below it, read-only when granted so", async () => {
    const { alice } = users;
    const r = await alice.berth(["run", "--rm", "-v", `${cache}/:/c`, "busybox", "cat", "/c/shared.txt"], "acme");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("cached\n");
    // Asked read-write, mounted read-only all the same: the write fails inside, nothing lands on the host.
    const w = await alice.berth(["run", "--rm", "--mount", `type=bind,source=${cache},target=/c`, "busybox", "sh", "-c", "echo x > /c/new.txt"], "acme");
    expect(w.code).not.toBe(0);
    expect(w.stderr).toMatch(/Read-only file system/);
    expect(fs.existsSync(path.join(cache, "new.txt"))).toBe(false);
    // A directory below the grant, made by -v as Docker does.
    const sub = await alice.berth(["run", "--rm", "-v", `${cache}/sub/../:/c:ro`, "busybox", "ls", "/c"], "acme");
    expect(sub.code, sub.stderr).toBe(0);
    expect(sub.stdout).toContain("shared.txt");
    // A read-write grant is written through.
    const rwRun = await alice.berth(["run", "--rm", "-v", `${rw}/out:/o`, "busybox", "sh", "-c", "echo made > /o/f"], "acme");
    expect(rwRun.code, rwRun.stderr).toBe(0);
    expect(fs.readFileSync(path.join(rw, "out", "f"), "utf8")).toBe("made\n");
  });

  it("do not reach a neighbour, a `..` out of the grant or a symlink leading out, and nothing is created", async () => {
    const { alice } = users;
    const before = await containers(alice, "acme");
    const cases: [args: string[], why: RegExp][] = [
      [["-v", `${other}:/c`], new RegExp(`host path ${other} .*refused`)],
      [["-v", `${cache}x:/c`], /refused/],
      [["-v", `${cache}/../other:/c`], new RegExp(`${cache}/\\.\\./other \\(that is ${other}\\).*refused`)],
      [["-v", `${cache}/escape:/c`], new RegExp(`${cache}/escape \\(which resolves to ${other}\\).*refused`)],
      [["--mount", `type=bind,source=${cache}/etc,target=/c,readonly`], /\(which resolves to \/etc\).*refused/],
      [["-v", `${cache}/escape/new:/c`], /which resolves to .*other\/new\).*refused/],
    ];
    for (const [args, why] of cases) {
      const r = await alice.berth(["run", "--rm", ...args, "busybox", "cat", "/c/secret.txt"], "acme");
      expect(r.code, args.join(" ")).not.toBe(0);
      expect(r.stderr, args.join(" ")).toMatch(why);
      expect(r.stdout).not.toContain("secret");
    }
    expect(fs.existsSync(path.join(other, "new"))).toBe(false);
    expect(await containers(alice, "acme")).toBe(before);
  });

  it("are checked again at every start: a symlink swapped in through another bind, or a grant taken back, refuses the start", async () => {
    const { alice } = users;
    fs.mkdirSync(path.join(rw, "data"), { recursive: true });
    const made = await alice.berth(["create", "--name", "user-of-data", "-v", `${rw}/data:/d`, "busybox", "ls", "/d"], "acme");
    expect(made.code, made.stderr).toBe(0);
    expect((await alice.berth(["start", "-a", "user-of-data"], "acme")).code).toBe(0);
    // Through a container that binds the grant's root read-write, alice swaps data for a link to /etc.
    const swap = await alice.berth(["run", "--rm", "-v", `${rw}:/r`, "busybox", "sh", "-c", "rm -r /r/data && ln -s /etc /r/data"], "acme");
    expect(swap.code, swap.stderr).toBe(0);
    const again = await alice.berth(["start", "user-of-data"], "acme");
    expect(again.code).not.toBe(0);
    expect(`${again.stderr}${(await alice.berth(["inspect", "-f", "{{.State.Error}}", "user-of-data"], "acme")).stdout}`).toMatch(/resolves to \/etc/);
    expect((await alice.berth(["logs", "user-of-data"], "acme")).stdout).not.toContain("passwd");
    // Put back, it starts; once the grant is taken back, it does not.
    fs.unlinkSync(path.join(rw, "data"));
    fs.mkdirSync(path.join(rw, "data"));
    expect((await alice.berth(["start", "user-of-data"], "acme")).code).toBe(0);
    expect((await alice.berth(["wait", "user-of-data"], "acme")).stdout.trim()).toBe("0");
    expect((await b.berth(["team", "disallow-path", "acme", rw])).code).toBe(0);
    const revoked = await alice.berth(["start", "user-of-data"], "acme");
    expect(revoked.code).not.toBe(0);
    expect(`${revoked.stderr}${(await alice.berth(["inspect", "-f", "{{.State.Error}}", "user-of-data"], "acme")).stdout}`).toMatch(/no path granted to your team holds it/);
    expect((await b.berth(["team", "allow-path", "acme", rw])).code).toBe(0);
    expect((await alice.berth(["rm", "-f", "user-of-data"], "acme")).code).toBe(0);
  }, 120_000);

  it("belong to the team: another team, or the member's own personal team, is refused", async () => {
    for (const [u, team] of [[users.bob, undefined], [users.alice, undefined]] as const) {
      const r = await u.berth(["run", "--rm", "-v", `${cache}:/c:ro`, "busybox", "true"], team);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/bind mount of host path .* is refused: host-level power is the site admin's/);
    }
  });

  it("are taken back by the site admin, and every change is audited", async () => {
    const d = await b.berth(["team", "disallow-path", "acme", cache]);
    expect(d.code, d.stderr).toBe(0);
    const r = await users.alice.berth(["run", "--rm", "-v", `${cache}:/c:ro`, "busybox", "true"], "acme");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/refused/);
    expect((await b.berth(["team", "disallow-path", "acme", cache])).stderr).toMatch(/no grant of host path/);
    const audit = await b.berth(["audit", "--all", "--json"]);
    const rows = audit.stdout.trim().split("\n").map((l) => JSON.parse(l) as { actor: string; team: string; action: string; result: string; target: string });
    expect(rows).toContainEqual(expect.objectContaining({ actor: "admin", team: "acme", action: "team.allowPath", result: "ok", target: `acme ${cache}/` }));
    expect(rows).toContainEqual(expect.objectContaining({ actor: "admin", team: "acme", action: "team.disallowPath", result: "ok", target: `acme ${cache}` }));
    expect(rows).toContainEqual(expect.objectContaining({ actor: "admin", team: "acme", action: "team.disallowPath", result: "NotFound" }));
    // alice's refused attempt too.
    expect(rows).toContainEqual(expect.objectContaining({ actor: "alice", team: "acme", action: "team.allowPath", result: "PermissionDenied" }));
  });
});
