/**
 * `berth dev up|exec|down` (issue 15) as the devcontainer CLI runs a folder: lifecycle commands
 * in their three forms with the spec's once-per-created-container / each-start rules, a local
 * feature installed with its options as variables, forwardPorts as port links with
 * portsAttributes' label and customizations.berth's visibility, variables substituted,
 * remoteUser and remoteEnv for exec, the reference's final JSON line; a feature in a registry
 * (Berth's own, pushed by the test) is pulled and installed, an unreachable one is an error
 * naming it.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import * as tar from "tar";
import { CLI, run, useInstance, type RunResult } from "./harness.js";
import { pushBlob, putManifest, sha256, token } from "./registry-helpers.js";

const b = useInstance();
let work: string;

function berth(args: string[], cwd = work): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, BERTH_URL: b.url, BERTH_TOKEN: b.token, BERTH_HOME: b.home, XDG_CONFIG_HOME: `${b.home}/cfg-admin`, HOST_ONLY_VALUE: "from-the-host" };
  delete env.COMPOSE_PROJECT_NAME;
  return run(process.execPath, ["--", CLI, ...args], { cwd, timeoutMs: 300_000, env });
}

async function ok(p: Promise<RunResult>): Promise<RunResult> {
  const r = await p;
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

function folder(name: string, files: Record<string, string>): string {
  const dir = path.join(work, name);
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text, { mode: f.endsWith(".sh") ? 0o755 : 0o644 });
  }
  return dir;
}

/** The last line of stdout: the reference CLI's result. */
const result = (r: RunResult) => JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Record<string, string>;

function curl(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const args = ["-s", "-S", "-o", "-", "-w", "\n%{http_code}", "--max-time", "20", url];
  for (const [k, v] of Object.entries(headers)) args.unshift("-H", `${k}: ${v}`);
  return new Promise((resolve, reject) =>
    execFile("curl", args, { encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`curl ${url}: ${stderr || err.message}`));
      const i = stdout.lastIndexOf("\n");
      resolve({ status: Number(stdout.slice(i + 1)), body: stdout.slice(0, i) });
    }),
  );
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-devup-"));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const HELLO_FEATURE = {
  ".devcontainer/hello/devcontainer-feature.json": JSON.stringify({
    id: "hello",
    version: "1.0.0",
    options: { greeting: { type: "string", default: "hello" }, "times-2": { type: "string", default: "1" }, suffix: { type: "string", default: "!" } },
    containerEnv: { HELLO_FEATURE: "installed" },
    onCreateCommand: "echo feature >> /tmp/order",
  }),
  ".devcontainer/hello/install.sh": `#!/bin/sh
set -e
mkdir -p /usr/local/share
echo "$GREETING x$TIMES_2$SUFFIX for $_REMOTE_USER as $(id -un)" > /usr/local/share/hello-feature.txt
`,
};

it("image: lifecycle commands once per created container and at each start, a local feature, variables, port link with label and visibility, exec, down", async () => {
  const dir = folder("devup", {
    ...HELLO_FEATURE,
    ".devcontainer/devcontainer.json": `{
  // JSONC, with the spec's variables
  "image": "busybox",
  "containerEnv": { "GREETING": "hello", "FROM_HOST": "\${localEnv:HOST_ONLY_VALUE}", "MISSING": "\${localEnv:NOT_SET_ANYWHERE:fallback}" },
  "remoteEnv": { "WHO": "remote", "WS": "\${containerWorkspaceFolder}", "BASE": "\${localWorkspaceFolderBasename}", "HELLO_TOO": "\${containerEnv:HELLO_FEATURE}-\${containerEnv:NONE:none}" },
  "forwardPorts": [8080],
  "portsAttributes": { "8080": { "label": "Web app" } },
  "customizations": { "berth": { "ports": { "8080": "public" } } },
  "mounts": ["source=devupcache,target=/cache,type=volume"],
  "workspaceFolder": "/work",
  "features": { "./hello": { "greeting": "hi there", "times-2": "2" } },
  "onCreateCommand": "echo on-create >> /cache/log; echo file >> /tmp/order",
  "updateContentCommand": ["sh", "-c", "echo update-content >> /cache/log"],
  "postCreateCommand": { "a": "echo post-create-a > /cache/a", "b": ["sh", "-c", "echo post-create-b > /cache/b"] },
  "postStartCommand": "echo post-start >> /cache/log && httpd -p 8080 -h /work",
}`,
    "index.html": "served from the workspace\n",
  });

  const up = await ok(berth(["dev", "up", dir]));
  expect(result(up)).toEqual({ outcome: "success", containerId: expect.stringMatching(/^[0-9a-f]{12,}$/), remoteUser: "root", remoteWorkspaceFolder: "/work" });
  expect(up.stderr).toMatch(/Feature \.\/hello\s+Copying/);
  expect(up.stderr).toMatch(/Running onCreateCommand[\s\S]*Running updateContentCommand[\s\S]*Running postCreateCommand[\s\S]*Running postStartCommand/);
  const exec = (cmd: string) => ok(berth(["dev", "exec", dir, "sh", "-c", cmd]));
  expect((await exec("cat /cache/log /cache/a /cache/b")).stdout).toBe("on-create\nupdate-content\npost-start\npost-create-a\npost-create-b\n");
  // The feature ran as root with its options (given over defaults) as upper-cased variables; its containerEnv is the image's.
  expect((await exec("cat /usr/local/share/hello-feature.txt; echo $HELLO_FEATURE")).stdout).toBe("hi there x2! for root as root\ninstalled\n");
  // The feature's own onCreateCommand ran before the file's.
  expect((await exec("cat /tmp/order")).stdout).toBe("feature\nfile\n");
  // exec: remoteEnv, containerEnv with host values substituted, in the workspace folder.
  expect((await exec("echo $WHO $WS $BASE $GREETING $FROM_HOST $MISSING $HELLO_TOO; pwd")).stdout).toBe("remote /work devup hello from-the-host fallback installed-none\n/work\n");
  // exec from inside the folder, no DIR: the command's exit code comes back.
  expect((await berth(["dev", "exec", "sh", "-c", "exit 3"], dir)).code).toBe(3);

  // The forwarded port: a link with its label and the visibility asked for, serving the workspace.
  const line = /Port 8080 \(Web app\)\s+(http:\/\/\S+)\s+public/.exec(up.stderr);
  expect(line, up.stderr).not.toBeNull();
  expect(line![1]).toMatch(/^http:\/\/dev-8080--devup--[\w-]+\.localhost:\d+\/?$/);
  const page = await curl(line![1]!, {});
  expect(page).toEqual({ status: 200, body: "served from the workspace\n" });

  // up again on the running container: no lifecycle command runs again.
  const again = await ok(berth(["dev", "up", dir]));
  expect(again.stderr).not.toMatch(/Running /);
  expect(result(again).containerId).toBe(result(up).containerId);
  // Stopped, then up: started again, so postStartCommand (only) runs again.
  await ok(berth(["stack", "stop", "-p", "devup"]));
  const restarted = await ok(berth(["dev", "up", dir]));
  expect(restarted.stderr).toMatch(/Running postStartCommand/);
  expect(restarted.stderr).not.toMatch(/Running (onCreate|updateContent|postCreate)Command/);
  expect((await exec("cat /cache/log")).stdout).toBe("on-create\nupdate-content\npost-start\npost-start\n");
  // --remove-existing-container: a new container, so the create hooks run again.
  const fresh = await ok(berth(["dev", "up", "--remove-existing-container", dir]));
  expect(result(fresh).containerId).not.toBe(result(up).containerId);
  expect((await exec("cat /cache/log")).stdout).toBe("on-create\nupdate-content\npost-start\npost-start\non-create\nupdate-content\npost-start\n");

  await ok(berth(["dev", "down", "-v", dir]));
  expect(JSON.parse((await ok(berth(["stack", "ps", "-p", "devup", "--format", "json"]))).stdout)).toEqual([]);
}, 600_000);

it("features install in the spec's order and bring what they ask of the container: containerEnv before install, init, capAdd, an entrypoint at start, a mount with ${devcontainerId}; privileged is refused", async () => {
  const dir = folder("devfeat", {
    ".devcontainer/devcontainer.json": JSON.stringify({ image: "busybox", remoteUser: "root", features: { "./second": {}, "./first": {} } }),
    ".devcontainer/first/devcontainer-feature.json": JSON.stringify({
      id: "first",
      version: "1.0.0",
      containerEnv: { FIRST: "yes" },
      init: true,
      capAdd: ["SYS_PTRACE"],
      entrypoint: "/usr/local/share/first-start.sh",
      mounts: [{ source: "firstcache-${devcontainerId}", target: "/first-cache", type: "volume" }],
    }),
    ".devcontainer/first/install.sh": `#!/bin/sh
set -e
mkdir -p /usr/local/share
echo "FIRST=$FIRST at install" > /usr/local/share/first-installed
printf '#!/bin/sh\necho "started before the command" > /tmp/first-started\n' > /usr/local/share/first-start.sh
chmod +x /usr/local/share/first-start.sh
`,
    // Written first, installed second: it needs what first installed.
    ".devcontainer/second/devcontainer-feature.json": JSON.stringify({ id: "second", version: "1.0.0", installsAfter: ["./first"] }),
    ".devcontainer/second/install.sh": "#!/bin/sh\nset -e\ncat /usr/local/share/first-installed > /usr/local/share/second.txt\n",
  });
  const up = await ok(berth(["dev", "up", dir]));
  expect(up.stderr).toMatch(/Installing features \(\.\/first, \.\/second\)/);
  const exec = (cmd: string) => ok(berth(["dev", "exec", dir, "sh", "-c", cmd]));
  expect((await exec("cat /usr/local/share/second.txt /tmp/first-started; echo $FIRST")).stdout).toBe("FIRST=yes at install\nstarted before the command\nyes\n");
  const id = result(up).containerId!;
  const [inspect] = JSON.parse((await ok(berth(["inspect", id]))).stdout) as { HostConfig: { Init: boolean; CapAdd: string[] | null }; Mounts: { Type: string; Name?: string; Destination: string }[] }[];
  expect(inspect!.HostConfig.Init).toBe(true);
  expect(inspect!.HostConfig.CapAdd).toContain("SYS_PTRACE");
  const cache = inspect!.Mounts.find((m) => m.Destination === "/first-cache");
  expect(cache?.Type).toBe("volume");
  expect(cache?.Name).toMatch(/firstcache-[0-9a-v]{52}$/);
  // Ptrace is what SYS_PTRACE was asked for: bit 19 of the container's effective set.
  const capEff = /CapEff:\s*([0-9a-f]+)/.exec((await exec("grep CapEff /proc/1/status")).stdout)![1]!;
  expect((BigInt(`0x${capEff}`) >> 19n) & 1n).toBe(1n);
  await ok(berth(["dev", "down", "-v", dir]));

  const priv = folder("devpriv", {
    ".devcontainer/devcontainer.json": JSON.stringify({ image: "busybox", features: { "./dind": {} } }),
    ".devcontainer/dind/devcontainer-feature.json": JSON.stringify({ id: "dind", version: "1.0.0", privileged: true }),
    ".devcontainer/dind/install.sh": "#!/bin/sh\n",
  });
  const refused = await berth(["dev", "up", priv]);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toMatch(/feature \.\/dind asks for privileged mode, which Berth does not give a container/);
  // Refused before anything was made.
  expect((await berth(["stack", "ps", "-p", "devpriv"])).stderr).toMatch(/no such stack: devpriv/);
}, 600_000);

it("build: remoteUser runs the lifecycle commands and exec, and is the result's remoteUser; a failing command is an error result naming it", async () => {
  const dir = folder("devuser", {
    ".devcontainer/devcontainer.json": `{ "build": { "dockerfile": "Dockerfile" }, "remoteUser": "dev", "postCreateCommand": "id -un > /home/dev/created-by" }`,
    // busybox-static here has no adduser: the user written as adduser would.
    ".devcontainer/Dockerfile": "FROM busybox\nRUN echo 'dev:x:1000:1000::/home/dev:/bin/sh' >> /etc/passwd && echo 'dev:x:1000:' >> /etc/group && mkdir -p /home/dev && chown 1000:1000 /home/dev\n",
  });
  const up = await ok(berth(["dev", "up", "--workspace-folder", dir]));
  expect(result(up)).toMatchObject({ outcome: "success", remoteUser: "dev", remoteWorkspaceFolder: "/workspaces/devuser" });
  expect((await ok(berth(["dev", "exec", dir, "sh", "-c", "cat /home/dev/created-by; id -un"]))).stdout).toBe("dev\ndev\n");
  await ok(berth(["dev", "down", dir]));

  const bad = folder("devbad", { ".devcontainer.json": `{ "image": "busybox", "onCreateCommand": "exit 7" }` });
  const r = await berth(["dev", "up", bad]);
  expect(r.code).not.toBe(0);
  expect(result(r)).toMatchObject({ outcome: "error", message: expect.stringMatching(/onCreateCommand failed .*exit code 7/) });
  await ok(berth(["dev", "down", bad]));
}, 600_000);

it("initializeCommand runs first, on this machine, in the folder, with the caller's environment; one that fails stops up before anything is made", async () => {
  const dir = folder("devinit", {
    ".devcontainer.json": `{ "image": "busybox", "initializeCommand": "echo \\"$HOST_ONLY_VALUE $(pwd) $(id -u)\\" > made-here.txt", "postCreateCommand": "cp /workspaces/devinit/made-here.txt /tmp/seen" }`,
  });
  const up = await ok(berth(["dev", "up", dir], os.tmpdir()));
  expect(result(up)).toMatchObject({ outcome: "success" });
  expect(up.stderr).toContain("Running the initializeCommand from devcontainer.json");
  // Run here (the test's environment, its folder, its user), not in the container.
  expect(fs.readFileSync(path.join(dir, "made-here.txt"), "utf8")).toBe(`from-the-host ${dir} ${process.getuid!()}\n`);
  // Before the container was made: its postCreateCommand found the file in the workspace.
  expect((await ok(berth(["dev", "exec", dir, "cat", "/tmp/seen"]))).stdout).toBe(`from-the-host ${dir} ${process.getuid!()}\n`);
  // Not a key Berth ignores.
  expect(up.stderr).not.toMatch(/initializeCommand is not supported/);
  await ok(berth(["dev", "down", dir]));

  const bad = folder("devinitbad", { ".devcontainer/devcontainer.json": `{ "image": "busybox", "initializeCommand": { "fine": "true", "broken": ["sh", "-c", "exit 3"] } }` });
  const r = await berth(["dev", "up", bad]);
  expect(r.code).not.toBe(0);
  expect(result(r)).toMatchObject({ outcome: "error", message: expect.stringMatching(/initializeCommand broken failed on this machine .*`sh -c exit 3` exited with exit code 3/) });
  const ps = await berth(["stack", "ps", "-p", "devinitbad", "--format", "json"]);
  expect(ps.code === 0 ? (JSON.parse(ps.stdout) as unknown[]) : []).toEqual([]);
}, 600_000);

it("dockerComposeFile + service + runServices: the dev service's result, its lifecycle commands reaching another service by name, the services left out not started", async () => {
  const dir = folder("devstack", {
    ".devcontainer/devcontainer.json": `{ "dockerComposeFile": "compose.yaml", "service": "app", "runServices": ["app", "db"], "containerEnv": { "MODE": "dev" },
      "postCreateCommand": "for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://db:8000/ > /tmp/from-db && break; sleep 1; done",
      "postStartCommand": ["sh", "-c", "echo started-$MODE >> /tmp/starts"] }`,
    ".devcontainer/compose.yaml": `services:
  app:
    image: busybox
    command: ["sleep", "3600"]
  db:
    image: busybox
    command: ["sh", "-c", "mkdir -p /w && echo db-answers > /w/index.html && exec httpd -f -p 8000 -h /w"]
  extra:
    image: busybox
    command: ["sleep", "3600"]
`,
  });
  const up = await ok(berth(["dev", "up", dir]));
  // No workspaceFolder in a compose file: the reference's "/" (the compose file mounts what it wants).
  expect(result(up)).toMatchObject({ outcome: "success", remoteUser: "root", remoteWorkspaceFolder: "/" });
  expect((await ok(berth(["dev", "exec", dir, "sh", "-c", "cat /tmp/from-db /tmp/starts; pwd"]))).stdout).toBe("db-answers\nstarted-dev\n/\n");
  const ps = JSON.parse((await ok(berth(["stack", "ps", "-p", "devstack", "--format", "json"]))).stdout) as { service: string }[];
  expect(ps.map((r) => r.service).sort()).toEqual(["app", "db"]);
  await ok(berth(["dev", "down", dir]));
}, 600_000);

it("a feature in an OCI registry (Berth's own, pushed as the devcontainer CLI publishes one) is pulled and installed; an unreachable one is an error naming it", async () => {
  // The feature as `devcontainer features publish` packs it: a plain tar of its folder, one layer, an empty config.
  const src = folder("feature-src", { "devcontainer-feature.json": HELLO_FEATURE[".devcontainer/hello/devcontainer-feature.json"], "install.sh": HELLO_FEATURE[".devcontainer/hello/install.sh"] });
  const layer = path.join(work, "feature.tar");
  await tar.c({ cwd: src, file: layer, portable: true }, ["./devcontainer-feature.json", "./install.sh"]);
  const t = await token(b.url, ["repository:admin/features/hello:pull,push"], { user: "admin", pass: b.token });
  const layerDigest = await pushBlob(b.url, t.token, "admin/features/hello", fs.readFileSync(layer));
  const config = Buffer.from("{}");
  const configDigest = await pushBlob(b.url, t.token, "admin/features/hello", config);
  const put = await putManifest(b.url, t.token, "admin/features/hello", "1", {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.devcontainers", digest: configDigest, size: config.length },
    layers: [{ mediaType: "application/vnd.devcontainers.layer.v1+tar", digest: layerDigest, size: fs.statSync(layer).size, annotations: { "org.opencontainers.image.title": "devcontainer-feature-hello.tgz" } }],
  });
  expect(put.status, put.body.toString()).toBe(201);
  expect(sha256(config)).toBe(configDigest);

  const ref = `127.0.0.1:${b.port}/admin/features/hello:1`;
  const dir = folder("devoci", { ".devcontainer/devcontainer.json": JSON.stringify({ image: "busybox", remoteUser: "root", features: { [ref]: { greeting: "from the registry" } } }) });
  const up = await ok(berth(["dev", "up", dir]));
  expect(up.stderr).toContain(`Feature ${ref}  Pulling`);
  expect((await ok(berth(["dev", "exec", dir, "sh", "-c", "cat /usr/local/share/hello-feature.txt; echo $HELLO_FEATURE; cat /tmp/order"]))).stdout).toBe("from the registry x1! for root as root\ninstalled\nfeature\n");
  await ok(berth(["dev", "down", dir]));

  // A registry that does not answer (a closed loopback port): the feature and the registry named, no container made.
  // A local feature that dependsOn the registry one (not listed in devcontainer.json): pulled with the options it gives, installed first.
  const dep = folder("devdep", {
    ".devcontainer/devcontainer.json": JSON.stringify({ image: "busybox", remoteUser: "root", features: { "./needs": {} } }),
    ".devcontainer/needs/devcontainer-feature.json": JSON.stringify({ id: "needs", version: "1.0.0", dependsOn: { [ref]: { greeting: "as a dependency" } } }),
    ".devcontainer/needs/install.sh": "#!/bin/sh\nset -e\ncat /usr/local/share/hello-feature.txt > /usr/local/share/needs.txt\n",
  });
  const depUp = await ok(berth(["dev", "up", dep]));
  expect(depUp.stderr).toMatch(new RegExp(`Feature ${ref.replace(/[.]/g, "\\.")}\\s+Pulling`));
  expect((await ok(berth(["dev", "exec", dep, "cat", "/usr/local/share/needs.txt"]))).stdout).toBe("as a dependency x1! for root as root\n");
  await ok(berth(["dev", "down", "-v", dep]));

  const gone = "127.0.0.1:9/nobody/feature:1";
  const off = folder("devoff", { ".devcontainer/devcontainer.json": JSON.stringify({ image: "busybox", features: { [gone]: {} } }) });
  const r = await berth(["dev", "up", off]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/feature "127\.0\.0\.1:9\/nobody\/feature:1": cannot pull .* from 127\.0\.0\.1:9/);
  expect(result(r)).toMatchObject({ outcome: "error" });
  const ps = await berth(["stack", "ps", "-p", "devoff"]);
  expect(ps.stderr).toMatch(/no such stack: devoff/);
}, 600_000);
