/**
 * `berth stack`: a compose project is a team object on the server. alice (member of team shops)
 * brings up three services (an HTTP server, a TCP "database" built from a Dockerfile, with a
 * healthcheck, and a worker that reads the page by service name and writes it to the database),
 * edits the file and ups again, rebuilds, and takes it down; vic, a viewer of shops, may look but not change; bob, in another
 * team, does not see it at all.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, mountsUnder, run, useInstance, type RunResult } from "./harness.js";
import { networkLeaksOf } from "./network-leaks.js";

const b = useInstance();
const FIXTURE = path.join(ROOT, "test/fixtures/stacks/shop");

interface User {
  name: string;
  /** berth as this user, in this directory (the stack's name comes from it, as Compose's). */
  berth(args: string[], cwd?: string): Promise<RunResult>;
}
const users: Record<"alice" | "vic" | "bob", User> = {} as never;
let work: string;
let dir: string;

function as(name: string, token: string, team: string): User {
  return {
    name,
    berth: (args, cwd = work) => {
      const env: NodeJS.ProcessEnv = { ...process.env, BERTH_URL: b.url, BERTH_TOKEN: token, BERTH_TEAM: team, BERTH_HOME: b.home, XDG_CONFIG_HOME: `${b.home}/cfg-${name}` };
      delete env.COMPOSE_PROJECT_NAME;
      return run(process.execPath, ["--", CLI, ...args], { cwd, timeoutMs: 180_000, env });
    },
  };
}

async function ok(u: User, args: string[], cwd?: string): Promise<RunResult> {
  const r = await u.berth(args, cwd);
  expect(r.code, `${u.name}: berth ${args.join(" ")}:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

interface PsRow {
  id: string;
  name: string;
  service: string;
  state: string;
  health?: string;
}
const ps = async (u: User, args: string[] = [], cwd?: string) => JSON.parse((await ok(u, ["stack", ...args, "ps", "--format", "json"], cwd)).stdout) as PsRow[];
const ids = (rows: PsRow[]) => Object.fromEntries(rows.map((r) => [r.service, r.id]));

/** Until the db has received the worker's line (it writes once, at its start). */
async function dbReceived(u: User, text: string): Promise<string> {
  for (let i = 0; i < 60; i++) {
    const r = await ok(u, ["stack", "logs", "db"], dir);
    if (r.stdout.includes(text)) return r.stdout;
    await new Promise((res) => setTimeout(res, 500));
  }
  const r = await ok(u, ["stack", "logs"], dir);
  // Tells "never arrived" from "arrived but not in the log": what the db wrote to its volume, and who "db" is.
  const file = await u.berth(["stack", "exec", "db", "cat", "/data/received"], dir);
  const hosts = await u.berth(["stack", "exec", "worker", "cat", "/etc/hosts"], dir);
  throw new Error(`the db never received "${text}":\n${r.stdout}\n${r.stderr}\n/data/received: ${file.stdout}${file.stderr}\nworker's /etc/hosts: ${hosts.stdout}`);
}

beforeAll(async () => {
  const tokens: Record<string, string> = {};
  for (const name of ["alice", "vic", "bob"] as const) {
    const r = await b.berth(["user", "create", name]);
    expect(r.code, r.stderr).toBe(0);
    tokens[name] = r.stdout.trim();
  }
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-stacks-"));
  dir = path.join(work, "shop");
  fs.cpSync(FIXTURE, dir, { recursive: true });
  await ok(as("alice", tokens.alice!, ""), ["team", "create", "shops"]);
  await ok(as("bob", tokens.bob!, ""), ["team", "create", "other"]);
  await ok(as("alice", tokens.alice!, "shops"), ["team", "add", "shops", "vic", "--role", "viewer"]);
  users.alice = as("alice", tokens.alice!, "shops");
  users.vic = as("vic", tokens.vic!, "shops");
  users.bob = as("bob", tokens.bob!, "other");
}, 120_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("stack up", () => {
  let before: { links: string[]; mounts: string[] };

  it("brings the services up in dependency order: the worker starts once db is healthy, and reaches web and db by name", async () => {
    before = { links: networkLeaksOf(b.home).sort(), mounts: mountsUnder(b.home).sort() };
    const up = await ok(users.alice, ["stack", "up", "-d"], dir);
    const lines = up.stderr.split("\n");
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    expect(at(/Network shop_default\s+Created/)).toBeGreaterThanOrEqual(0);
    expect(at(/Volume shop_data\s+Created/)).toBeGreaterThanOrEqual(0);
    // Compose's order: db healthy before the worker starts (its container may be created before).
    expect(at(/Container shop-db-1\s+Healthy/)).toBeGreaterThan(at(/Container shop-db-1\s+Started/));
    expect(at(/Container shop-worker-1\s+Created/)).toBeGreaterThanOrEqual(0);
    expect(at(/Container shop-worker-1\s+Started/)).toBeGreaterThan(at(/Container shop-db-1\s+Healthy/));
    // db has build: its image was built first, in alice's team, named as Compose names it.
    expect(at(/Service db\s+Built/)).toBeGreaterThan(at(/Service db\s+Building/));
    expect(at(/Container shop-db-1\s+Created/)).toBeGreaterThan(at(/Service db\s+Built/));
    expect(up.stderr).toMatch(/RUN echo "\$PORT" > \/port/);
    expect(up.stderr).not.toMatch(/RUN false/);
    expect((await ok(users.alice, ["images"])).stdout).toMatch(/^shop-db +latest /m);

    // The page came from web (by its service name), with GREETING from .env and TAG's default.
    await dbReceived(users.alice, "worker default-tag got from-dotenv");
    const rows = await ps(users.alice, [], dir);
    expect(rows.map((r) => [r.name, r.service, r.state])).toEqual([
      ["shop-db-1", "db", "running"],
      ["shop-web-1", "web", "running"],
      ["shop-worker-1", "worker", "running"],
    ]);
    expect(rows.find((r) => r.service === "db")!.health).toBe("healthy");

    // Compose's labels on every container.
    const inspect = JSON.parse((await ok(users.alice, ["inspect", "shop-worker-1"])).stdout) as { Config: { Labels: Record<string, string> } }[];
    expect(inspect[0]!.Config.Labels).toMatchObject({ "com.docker.compose.project": "shop", "com.docker.compose.service": "worker", "com.docker.compose.container-number": "1" });
    expect(inspect[0]!.Config.Labels["com.docker.compose.config-hash"]).toMatch(/^[0-9a-f]{64}$/);

    const ls = JSON.parse((await ok(users.alice, ["stack", "ls", "--format", "json"])).stdout) as { name: string; status: string }[];
    expect(ls).toEqual([expect.objectContaining({ name: "shop", status: "running(3)" })]);
  }, 180_000);

  it("up again with nothing changed leaves every container as it was", async () => {
    const first = ids(await ps(users.alice, [], dir));
    const up = await ok(users.alice, ["stack", "up", "-d"], dir);
    expect(up.stderr).not.toMatch(/Recreated|Created|Building/);
    expect(ids(await ps(users.alice, [], dir))).toEqual(first);
  }, 180_000);

  it("up after an edit recreates only the changed service; the others keep running", async () => {
    const first = ids(await ps(users.alice, [], dir));
    const file = path.join(dir, "compose.yaml");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("${WORKER_TAG:-default-tag}", "${WORKER_TAG:-edited-tag}"));
    const up = await ok(users.alice, ["stack", "up", "-d"], dir);
    expect(up.stderr).toMatch(/Container shop-worker-1\s+Recreated/);
    const now = ids(await ps(users.alice, [], dir));
    expect(now.worker).not.toBe(first.worker);
    expect(now.db).toBe(first.db);
    expect(now.web).toBe(first.web);
    await dbReceived(users.alice, "worker edited-tag got from-dotenv");
  }, 180_000);

  it("an edited build context is not rebuilt by up, but up --build rebuilds it and recreates only that service", async () => {
    const first = ids(await ps(users.alice, [], dir));
    const script = path.join(dir, "db/db.sh");
    fs.writeFileSync(script, `echo db rebuilt\n${fs.readFileSync(script, "utf8")}`);
    const reuse = await ok(users.alice, ["stack", "up", "-d"], dir);
    expect(reuse.stderr).not.toMatch(/Building|Recreated/);
    expect(ids(await ps(users.alice, [], dir))).toEqual(first);

    const rebuild = await ok(users.alice, ["stack", "up", "-d", "--build"], dir);
    expect(rebuild.stderr).toMatch(/Service db\s+Building/);
    expect(rebuild.stderr).toMatch(/Container shop-db-1\s+Recreated/);
    expect(rebuild.stderr).not.toMatch(/shop-(web|worker)-1\s+Recreated/);
    const now = ids(await ps(users.alice, [], dir));
    expect(now.db).not.toBe(first.db);
    expect(now.web).toBe(first.web);
    expect(now.worker).toBe(first.worker);
    expect((await ok(users.alice, ["stack", "logs", "db"], dir)).stdout).toMatch(/^db-1 +\| db rebuilt$/m);
  }, 240_000);

  it("exec runs in a service's container; stop, start and restart act on the services named, in dependency order", async () => {
    const first = ids(await ps(users.alice, [], dir));
    // The built image's ARG reached its RUN step.
    expect((await ok(users.alice, ["stack", "exec", "-T", "db", "cat", "/port"], dir)).stdout).toBe("5432\n");
    expect((await users.alice.berth(["stack", "exec", "-T", "web", "sh", "-c", "exit 3"], dir)).code).toBe(3);
    const two = await users.alice.berth(["stack", "exec", "--index", "2", "db", "true"], dir);
    expect(two.code).not.toBe(0);
    expect(two.stderr).toMatch(/service "db" of stack shop has no container number 2 \(it has 1\)/);
    expect((await users.alice.berth(["stack", "exec", "nosuch", "true"], dir)).stderr).toMatch(/no such service: nosuch/);

    // From another directory, by name: the worker (which depends on web) stops first.
    const elsewhere = fs.mkdtempSync(path.join(work, "ops-"));
    const stop = await ok(users.alice, ["stack", "stop", "-p", "shop", "web", "worker"], elsewhere);
    const at = (re: RegExp) => stop.stderr.split("\n").findIndex((l) => re.test(l));
    expect(at(/Container shop-worker-1\s+Stopped/)).toBeGreaterThanOrEqual(0);
    expect(at(/Container shop-web-1\s+Stopping/)).toBeGreaterThan(at(/Container shop-worker-1\s+Stopped/));
    const states = async () => Object.fromEntries((await ps(users.alice, ["-p", "shop"], elsewhere)).map((r) => [r.service, r.state]));
    expect(await states()).toEqual({ db: "running", web: "exited", worker: "exited" });

    // -f after the subcommand names the file (and so the stack) from elsewhere.
    const start = await ok(users.alice, ["stack", "start", "-f", path.join(dir, "compose.yaml")], elsewhere);
    expect(start.stderr.indexOf("shop-web-1  Started")).toBeLessThan(start.stderr.indexOf("shop-worker-1  Starting"));
    expect(await states()).toEqual({ db: "running", web: "running", worker: "running" });
    const restart = await ok(users.alice, ["stack", "restart", "db"], dir);
    expect(restart.stderr).toMatch(/Container shop-db-1\s+Restarting\n Container shop-db-1\s+Started/);
    expect(restart.stderr).not.toMatch(/shop-(web|worker)-1/);
    expect(await states()).toEqual({ db: "running", web: "running", worker: "running" });
    // The same containers throughout: stop, start and restart never recreate.
    expect(ids(await ps(users.alice, [], dir))).toEqual(first);
  }, 180_000);

  it("config -p NAME with no file at hand prints the file the server keeps for the stack", async () => {
    const elsewhere = fs.mkdtempSync(path.join(work, "cfg-"));
    expect((await ok(users.vic, ["stack", "config", "-p", "shop", "--services"], elsewhere)).stdout).toBe("web\ndb\nworker\n");
    const yaml = (await ok(users.vic, ["stack", "-p", "shop", "config"], elsewhere)).stdout;
    expect(yaml).toMatch(/^name: shop$/m);
    expect(yaml).toMatch(/echo 'from-dotenv'/);
    expect(yaml).toMatch(/TAG: edited-tag/);
    const none = await users.bob.berth(["stack", "config", "-p", "shop"], elsewhere);
    expect(none.stderr).toMatch(/no such stack: shop/);
  }, 60_000);

  it("a viewer reads the stack from any directory by its name, but may not change it", async () => {
    const elsewhere = fs.mkdtempSync(path.join(work, "vic-"));
    const rows = JSON.parse((await ok(users.vic, ["stack", "ps", "-p", "shop", "--format", "json"], elsewhere)).stdout) as PsRow[];
    expect(rows.map((r) => r.service)).toEqual(["db", "web", "worker"]);
    // What the rebuilt db printed at its start (the worker's line can race with the restart above).
    expect((await ok(users.vic, ["stack", "-p", "shop", "logs", "db"], elsewhere)).stdout).toMatch(/^db-1 +\| db rebuilt$/m);
    for (const args of [["stack", "up", "-d"], ["stack", "down"], ["stack", "rm", "-f"]]) {
      const r = await users.vic.berth(args, dir);
      expect(r.code, args.join(" ")).not.toBe(0);
      expect(r.stderr, args.join(" ")).toMatch(/refused: you are a viewer of team shops/);
    }
    expect(ids(await ps(users.alice, [], dir)).db).toBe(rows.find((r) => r.service === "db")!.id);
  }, 120_000);

  it("another team does not see the stack: as one that does not exist", async () => {
    const r = await users.bob.berth(["stack", "-p", "shop", "ps"], work);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no such stack: shop/);
    const missing = await users.bob.berth(["stack", "-p", "nosuch", "ps"], work);
    expect(missing.stderr.replace("nosuch", "shop")).toBe(r.stderr);
    expect((await ok(users.bob, ["stack", "ls", "-q"])).stdout).toBe("");
    const down = await users.bob.berth(["stack", "-p", "shop", "down", "-v"], work);
    expect(down.stderr).toMatch(/no such stack: shop/);
    expect((await ps(users.alice, [], dir)).length).toBe(3);
  }, 120_000);

  it("a dependency that never becomes healthy stops up with an error naming both services; a build: that cannot build is refused before anything is made", async () => {
    const broken = path.join(work, "broken");
    fs.mkdirSync(broken);
    fs.writeFileSync(
      path.join(broken, "compose.yaml"),
      [
        "services:",
        "  db:",
        "    image: busybox",
        '    command: ["sleep", "3600"]',
        "    healthcheck:",
        '      test: ["CMD", "false"]',
        "      interval: 1s",
        "      timeout: 1s",
        "      retries: 1",
        "  app:",
        "    image: busybox",
        '    command: ["sleep", "3600"]',
        "    depends_on:",
        "      db:",
        "        condition: service_healthy",
        "",
      ].join("\n"),
    );
    const up = await users.alice.berth(["stack", "up", "-d"], broken);
    expect(up.code).not.toBe(0);
    expect(up.stderr).toMatch(/service "app" depends on "db": dependency failed to start: container broken-db-1 is unhealthy/);
    // app was never started: its container was made while db was checked (as Compose v2 leaves it: created).
    expect((await ps(users.alice, [], broken)).map((r) => [r.service, r.state])).toEqual([
      ["app", "created"],
      ["db", "running"],
    ]);
    await ok(users.alice, ["stack", "down"], broken);
    await ok(users.alice, ["stack", "rm"], broken);

    fs.writeFileSync(path.join(broken, "compose.yaml"), "services:\n  app:\n    build: .\n");
    const build = await users.alice.berth(["stack", "up", "-d"], broken);
    expect(build.code).not.toBe(0);
    expect(build.stderr).toMatch(/unable to prepare context: no Dockerfile at/);
    expect((await ok(users.alice, ["stack", "ls", "-q"])).stdout).toBe("shop\n");
  }, 120_000);

  it("up without -d follows the services' output, each line prefixed with its service, until they end", async () => {
    const once = path.join(work, "once");
    fs.mkdirSync(once);
    fs.writeFileSync(path.join(once, "compose.yaml"), 'services:\n  one:\n    image: busybox\n    command: ["sh", "-c", "echo hello from one; echo oops >&2"]\n');
    const up = await ok(users.alice, ["stack", "up"], once);
    expect(up.stdout).toMatch(/^one-1 +\| hello from one$/m);
    expect(up.stderr).toMatch(/^one-1 +\| oops$/m);
    expect(up.stderr).toMatch(/Container once-one-1\s+Started/);
    await ok(users.alice, ["stack", "rm", "-f"], once);
  }, 120_000);

  it("down -v from any directory leaves no container, network, volume, mount, link or rule", async () => {
    const down = await ok(users.alice, ["stack", "-p", "shop", "down", "-v"], work);
    expect(down.stderr).toMatch(/Network shop_default\s+Removed/);
    expect(down.stderr).toMatch(/Volume shop_data\s+Removed/);
    expect((await ok(users.alice, ["ps", "-a", "-q"])).stdout).toBe("");
    expect((await users.alice.berth(["network", "inspect", "shop_default"])).stderr).toMatch(/network shop_default not found/);
    expect((await ok(users.alice, ["volume", "ls", "-q"])).stdout).toBe("");
    expect(await ps(users.alice, ["-p", "shop"], work)).toEqual([]);
    expect(networkLeaksOf(b.home).sort()).toEqual(before.links);
    expect(mountsUnder(b.home).sort()).toEqual(before.mounts);
    await ok(users.alice, ["stack", "-p", "shop", "rm"], work);
    expect((await ok(users.alice, ["stack", "ls", "-q"])).stdout).toBe("");
  }, 180_000);
});
