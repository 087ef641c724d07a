/**
 * Berth reads devcontainer.json as the reference does (issue 15): for image, build and compose
 * fixtures, `berth dev read-configuration` and `@devcontainers/cli` 0.89's `devcontainer
 * read-configuration --include-merged-configuration` give the same configuration, the same workspace folder, and the same merged configuration (variables
 * substituted, lifecycle commands with a local feature's first, ports, mounts, users, env).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, ensureDockerd } from "./docker.js";
import { CLI, hostBusybox, ROOT, run } from "./harness.js";

let work: string;
const env = { ...process.env, HOST_VALUE: "from-the-host", BERTH_URL: "http://127.0.0.1:9", BERTH_TOKEN: "unused" };
delete env.NOT_SET_HERE;

/**
 * The fixtures' image. The reference asks Docker for the image's metadata (its
 * devcontainer.metadata label) and pulls it when Docker lacks it, which fails offline: so a real
 * image, imported into the real daemon from the host's static busybox, under a tag of this test's
 * own (Berth's side reads the file only).
 */
const IMAGE = "berthtest/devcompat:1";

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-devcompat-"));
  await ensureDockerd();
  if ((await docker(["image", "inspect", IMAGE])).code === 0) return;
  const root = path.join(work, "rootfs");
  fs.mkdirSync(path.join(root, "bin"), { recursive: true });
  fs.copyFileSync(hostBusybox(), path.join(root, "bin/busybox"));
  const tar = path.join(work, "rootfs.tar");
  expect((await run("tar", ["-C", root, "-cf", tar, "."])).code).toBe(0);
  const imported = await docker(["import", tar, IMAGE]);
  expect(imported.code, imported.stderr).toBe(0);
}, 120_000);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function folder(name: string, files: Record<string, string>): string {
  const dir = path.join(work, name);
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

type Read = { configuration: Record<string, unknown>; workspace: { workspaceFolder: string }; mergedConfiguration: Record<string, unknown> };

async function reference(dir: string): Promise<Read> {
  const r = await run(process.execPath, [path.join(ROOT, "node_modules/@devcontainers/cli/devcontainer.js"), "read-configuration", "--include-merged-configuration", "--workspace-folder", dir], { env, timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Read;
}

async function berth(dir: string): Promise<Read> {
  const r = await run(process.execPath, ["--", CLI, "dev", "read-configuration", dir], { env, timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Read;
}

/** The keys of the spec Berth acts on. */
const KEYS = [
  "name",
  "image",
  "build",
  "dockerComposeFile",
  "service",
  "runServices",
  "workspaceFolder",
  "forwardPorts",
  "portsAttributes",
  "containerEnv",
  "remoteEnv",
  "remoteUser",
  "containerUser",
  "mounts",
  "features",
  "overrideFeatureInstallOrder",
  "overrideCommand",
  "init",
  "capAdd",
  "privileged",
  "securityOpt",
  "entrypoints",
];
const HOOKS = ["onCreateCommand", "updateContentCommand", "postCreateCommand", "postStartCommand", "postAttachCommand"];

async function agree(dir: string): Promise<Read> {
  const [ref, ours] = await Promise.all([reference(dir), berth(dir)]);
  const pick = (o: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
  expect(pick(ours.configuration, [...KEYS, ...HOOKS])).toEqual(pick(ref.configuration, [...KEYS, ...HOOKS]));
  expect(ours.workspace.workspaceFolder).toBe(ref.workspace.workspaceFolder);
  const merged = [...KEYS, ...HOOKS.map((h) => `${h}s`)];
  expect(pick(ours.mergedConfiguration, merged)).toEqual(pick(ref.mergedConfiguration, merged));
  return ours;
}

describe("berth dev read-configuration agrees with @devcontainers/cli read-configuration", () => {
  it("image, with variables, a local feature with its own lifecycle command, and every lifecycle form", async () => {
    const dir = folder("imgapp", {
      ".devcontainer/devcontainer.json": `{
  // JSONC
  "name": "image fixture",
  "image": "${IMAGE}",
  "containerEnv": { "FROM_HOST": "\${localEnv:HOST_VALUE}", "MISSING": "\${localEnv:NOT_SET_HERE:fallback}", "BASE": "\${localWorkspaceFolderBasename}" },
  "remoteEnv": { "BIN": "\${containerWorkspaceFolder}/bin", "NAME": "\${containerWorkspaceFolderBasename}", "LATER": "\${containerEnv:PATH}" },
  "forwardPorts": [3000, 8080],
  "portsAttributes": { "3000": { "label": "App" } },
  "mounts": ["source=cache,target=/cache,type=volume", { "source": "\${localWorkspaceFolder}/data", "target": "/data", "type": "bind" }],
  "remoteUser": "root",
  "features": { "./tool": { "version": "2" } },
  "onCreateCommand": "echo one",
  "updateContentCommand": ["echo", "two"],
  "postCreateCommand": { "a": "echo three", "b": ["echo", "four"] },
  "postStartCommand": "echo five",
  "postAttachCommand": "echo six",
}`,
      ".devcontainer/tool/devcontainer-feature.json": JSON.stringify({ id: "tool", version: "1.0.0", options: { version: { type: "string", default: "1" } }, postCreateCommand: "echo from-the-feature" }),
      ".devcontainer/tool/install.sh": "#!/bin/sh\necho installing\n",
    });
    const ours = await agree(dir);
    // What the comparison covered, spelled out: substituted values and the merged order.
    expect(ours.configuration.containerEnv).toEqual({ FROM_HOST: "from-the-host", MISSING: "fallback", BASE: "imgapp" });
    expect(ours.configuration.remoteEnv).toEqual({ BIN: "/workspaces/imgapp/bin", NAME: "imgapp", LATER: "${containerEnv:PATH}" });
    expect(ours.mergedConfiguration.postCreateCommands).toEqual(["echo from-the-feature", { a: "echo three", b: ["echo", "four"] }]);
  });

  it("local features in install order (installsAfter, then rounds by reference), with what they ask of the container merged with the file's", async () => {
    const feature = (id: string, meta: Record<string, unknown>) => ({
      [`.devcontainer/${id}/devcontainer-feature.json`]: JSON.stringify({ id, version: "1.0.0", postCreateCommand: `echo ${id}`, ...meta }),
      [`.devcontainer/${id}/install.sh`]: "#!/bin/sh\n",
    });
    const dir = folder("featapp", {
      ".devcontainer/devcontainer.json": JSON.stringify({ image: IMAGE, capAdd: ["NET_ADMIN"], features: { "./b": {}, "./c": {}, "./a": {} }, postCreateCommand: "echo file" }),
      ...feature("a", { capAdd: ["SYS_PTRACE"], init: true, securityOpt: ["seccomp=unconfined"], entrypoint: "/usr/local/share/a-start.sh", mounts: [{ source: "acache-${devcontainerId}", target: "/acache", type: "volume" }] }),
      ...feature("b", { installsAfter: ["./a"], capAdd: ["SYS_PTRACE"] }),
      ...feature("c", {}),
    });
    const ours = await agree(dir);
    expect(ours.mergedConfiguration.postCreateCommands).toEqual(["echo a", "echo c", "echo b", "echo file"]);
    expect(ours.mergedConfiguration).toMatchObject({ init: true, privileged: false, capAdd: ["SYS_PTRACE", "NET_ADMIN"], entrypoints: ["/usr/local/share/a-start.sh"] });
  });

  it("build: dockerfile, context, args (with a host variable) and target", async () => {
    const dir = folder("buildapp", {
      ".devcontainer/devcontainer.json": `{ "build": { "dockerfile": "Dockerfile", "context": "..", "args": { "V": "\${localEnv:HOST_VALUE}" }, "target": "dev" }, "workspaceFolder": "/src/\${localWorkspaceFolderBasename}", "containerUser": "nobody", "postCreateCommand": ["make", "setup"] }`,
      ".devcontainer/Dockerfile": `FROM ${IMAGE} AS dev\n`,
    });
    const ours = await agree(dir);
    expect(ours.configuration.build).toEqual({ dockerfile: "Dockerfile", context: "..", args: { V: "from-the-host" }, target: "dev" });
    expect(ours.workspace.workspaceFolder).toBe("/src/buildapp");
  });

  it("compose: dockerComposeFile + service + runServices, and the default workspace folder", async () => {
    const compose = `services:\n  app:\n    image: ${IMAGE}\n    command: ["sleep", "3600"]\n  db:\n    image: ${IMAGE}\n  cache:\n    image: ${IMAGE}\n`;
    const dir = folder("composeapp", {
      ".devcontainer/devcontainer.json": `{ "dockerComposeFile": ["compose.yaml"], "service": "app", "runServices": ["app", "db"], "forwardPorts": [5000], "remoteEnv": { "W": "\${containerWorkspaceFolder}" }, "postStartCommand": "echo started" }`,
      ".devcontainer/compose.yaml": compose,
    });
    const ours = await agree(dir);
    expect(ours.workspace.workspaceFolder).toBe("/");
    const single = folder("composeone", { ".devcontainer/devcontainer.json": `{ "dockerComposeFile": "compose.yaml", "service": "app", "workspaceFolder": "/workspaces/\${localWorkspaceFolderBasename}" }`, ".devcontainer/compose.yaml": compose });
    expect((await agree(single)).workspace.workspaceFolder).toBe("/workspaces/composeone");
  });
});
