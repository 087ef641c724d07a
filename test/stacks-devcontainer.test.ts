/**
 * `berth stack up` in a folder with .devcontainer/devcontainer.json and no compose file (issue 15):
 * image, build (dockerfile, context, args), containerEnv, remoteEnv, forwardPorts, mounts,
 * workspaceFolder with the folder bind-mounted (site admin) or copied in (a member without a
 * granted path, said so), postCreateCommand once after create with its output streamed, and
 * dockerComposeFile + service; JSONC (comments, trailing commas) read; unknown keys warned by name.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CLI, run, useInstance, type RunResult } from "./harness.js";

const b = useInstance();
let work: string;
let aliceToken: string;

function berth(token: string, team: string, args: string[], cwd: string): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, BERTH_URL: b.url, BERTH_TOKEN: token, BERTH_TEAM: team, BERTH_HOME: b.home, XDG_CONFIG_HOME: `${b.home}/cfg-${team || "admin"}` };
  delete env.COMPOSE_PROJECT_NAME;
  return run(process.execPath, ["--", CLI, ...args], { cwd, timeoutMs: 240_000, env });
}
const admin = (args: string[], cwd: string) => berth(b.token, "", args, cwd);
const alice = (args: string[], cwd: string) => berth(aliceToken, "devs", args, cwd);

async function ok(p: Promise<RunResult>): Promise<RunResult> {
  const r = await p;
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

function folder(name: string, files: Record<string, string>): string {
  const dir = path.join(work, name);
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-devc-"));
  const res = await fetch(`${b.url}/api/trpc/user.create`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${b.token}` },
    body: JSON.stringify({ name: "alice", password: "alice-password-1" }),
  });
  aliceToken = ((await res.json()) as { result: { data: { token: string } } }).result.data.token;
  await ok(berth(aliceToken, "", ["team", "create", "devs"], work));
}, 120_000);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const IMAGE_JSONC = `{
  // JSONC: comments and trailing commas, as VS Code writes it
  "name": "image variant",
  "image": "busybox",
  "containerEnv": { "GREETING": "hello", },
  "remoteEnv": { "WHO": "remote" },
  "forwardPorts": [8080],
  "mounts": ["source=devcache,target=/cache,type=volume"],
  "workspaceFolder": "/work",
  /* runs once, after the container is created */
  "postCreateCommand": "echo post-create $GREETING $WHO >> /cache/created && echo ran-post-create && ls /work",
  "hostRequirements": { "cpus": 1 },
}
`;

it("image: the folder bind-mounted for the site admin, env, mounts, postCreateCommand once with its output; unknown keys warned", async () => {
  const dir = folder("devimg", { ".devcontainer/devcontainer.json": IMAGE_JSONC, "hello.txt": "from the folder\n" });
  const up = await ok(admin(["stack", "up", "-d"], dir));
  expect(up.stderr).toMatch(/warning: \.devcontainer\/devcontainer\.json: hostRequirements is not supported by Berth/);
  expect(up.stderr).toMatch(/Container devimg-dev-1\s+Created/);
  // postCreateCommand's output comes through as it runs, and it ran in the workspace.
  expect(up.stdout).toContain("ran-post-create");
  expect(up.stdout).toContain("hello.txt");
  const cat = await ok(admin(["stack", "exec", "-T", "dev", "cat", "/work/hello.txt", "/cache/created"], dir));
  expect(cat.stdout).toBe("from the folder\npost-create hello remote\n");
  // A bind: a file written in the folder shows in the container at once.
  fs.writeFileSync(path.join(dir, "later.txt"), "written later\n");
  expect((await ok(admin(["stack", "exec", "-T", "dev", "cat", "/work/later.txt"], dir))).stdout).toBe("written later\n");
  // up again: nothing recreated, so postCreateCommand does not run again.
  const again = await ok(admin(["stack", "up", "-d"], dir));
  expect(again.stdout).not.toContain("ran-post-create");
  expect((await ok(admin(["stack", "exec", "-T", "dev", "cat", "/cache/created"], dir))).stdout).toBe("post-create hello remote\n");
  const cfg = await ok(admin(["stack", "config", "--format", "json"], dir));
  expect(JSON.parse(cfg.stdout).services.dev).toMatchObject({ image: "busybox", expose: ["8080"], working_dir: "/work" });
  await ok(admin(["stack", "down", "-v"], dir));
}, 300_000);

it("build: a member without a granted path gets the folder copied in, and is told so", async () => {
  const dir = folder("devbuild", {
    ".devcontainer/devcontainer.json": `{ "build": { "dockerfile": "Dockerfile", "context": "..", "args": { "FLAVOUR": "mint" } }, "postCreateCommand": ["cat", "/flavour", "notes.txt"] }`,
    ".devcontainer/Dockerfile": "FROM busybox\nARG FLAVOUR\nRUN echo built-$FLAVOUR > /flavour\n",
    "notes.txt": "copied notes\n",
  });
  const up = await ok(alice(["stack", "up", "-d"], dir));
  expect(up.stderr).toMatch(/note: .*devbuild is copied into \/workspaces\/devbuild, not bind-mounted/);
  expect(up.stdout).toContain("built-mint\ncopied notes\n");
  expect((await ok(alice(["stack", "exec", "-T", "dev", "cat", "/workspaces/devbuild/notes.txt"], dir))).stdout).toBe("copied notes\n");
  await ok(alice(["stack", "down"], dir));
}, 300_000);

it("dockerComposeFile + service: a compose stack whose service is the dev container", async () => {
  const dir = folder("devcompose", {
    ".devcontainer/devcontainer.json": `{ "dockerComposeFile": ["compose.yaml"], "service": "app", "workspaceFolder": "/src", "containerEnv": { "MODE": "dev" }, "postCreateCommand": "echo app-sees-$MODE && for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://db:8000/ && break; sleep 1; done" }`,
    ".devcontainer/compose.yaml": `services:
  app:
    image: busybox
    command: ["sleep", "3600"]
    depends_on: [db]
  db:
    image: busybox
    command: ["sh", "-c", "mkdir -p /w && echo db-answers > /w/index.html && exec httpd -f -p 8000 -h /w"]
`,
  });
  const up = await ok(admin(["stack", "up", "-d"], dir));
  expect(up.stderr).toMatch(/Container devcompose-db-1\s+Started/);
  expect(up.stdout).toContain("app-sees-dev");
  expect(up.stdout).toContain("db-answers");
  const ps = JSON.parse((await ok(admin(["stack", "ps", "--format", "json"], dir))).stdout) as { service: string; state: string }[];
  expect(ps.map((r) => [r.service, r.state])).toEqual([
    ["app", "running"],
    ["db", "running"],
  ]);
  await ok(admin(["stack", "down"], dir));
}, 300_000);
