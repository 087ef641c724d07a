/**
 * Docker habits a user brings to Berth, through the real CLI against a real instance:
 * capabilities applied in Docker's order, `run -dit` running at once, `inspect -f` on any kind of
 * object, `version`, `info`, the management commands, prunes that ask first, ps's PORTS, SIZE and
 * COMMAND columns, `run` pulling a missing image, and 125 for a bad flag.
 */
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostBusybox, ROOT, useInstance, type RunResult } from "./harness.js";
import { until } from "./lifecycle-helpers.js";
import { OCI_CONFIG, OCI_LAYER, OCI_MANIFEST, sha256 } from "./registry-helpers.js";

const b = useInstance();

async function ok(args: string[]): Promise<string> {
  const r = await b.berth(args, { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`berth ${args.join(" ")} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The CLI as a child whose output can be read while it runs; `input` (if given) on its stdin. */
function spawnBerth(args: string[], input?: string): { out: () => string; done: Promise<RunResult> } {
  const child = spawn(process.execPath, ["--", path.join(ROOT, "cli/bin/berth.js"), ...args], { env: { ...process.env, BERTH_URL: b.url, BERTH_TOKEN: b.token }, stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  if (input !== undefined) child.stdin!.end(input);
  const done = new Promise<RunResult>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
  return { out: () => stdout, done };
}

const berthWithInput = (args: string[], input: string) => spawnBerth(args, input).done;

describe("capabilities", () => {
  it("--cap-drop ALL --cap-add NET_BIND_SERVICE leaves exactly NET_BIND_SERVICE, as Docker", async () => {
    const out = await ok(["run", "--rm", "--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE", "busybox", "grep", "^Cap[EPB]", "/proc/1/status"]);
    // CAP_NET_BIND_SERVICE is bit 10.
    expect(out).toBe("CapPrm:\t0000000000000400\nCapEff:\t0000000000000400\nCapBnd:\t0000000000000400\n");
    // A cap both dropped and added (not ALL): added wins, as Docker's TweakCapabilities.
    const both = await ok(["run", "--rm", "--cap-drop", "CHOWN", "--cap-add", "CHOWN", "busybox", "grep", "^CapEff", "/proc/1/status"]);
    expect(both).toBe("CapEff:\t00000000a80425fb\n");
  });
});

describe("run -dit", () => {
  it("runs at once, and attach works right away", async () => {
    const id = (await ok(["run", "-dit", "--name", "dit", "busybox", "sh"])).trim();
    expect(await ok(["inspect", "-f", "{{.State.Status}}", "dit"])).toBe("running\n");
    const attach = spawnBerth(["attach", "--no-stdin", "dit"]);
    // Output written to the container's terminal reaches the attached client (written again until
    // it arrives: the client may not be attached yet).
    for (let i = 0; i < 50 && !attach.out().includes("marker-2"); i++) {
      await ok(["exec", "dit", "sh", "-c", "echo marker-$((1+1)) > /proc/1/fd/1"]);
      await new Promise((r) => setTimeout(r, 200));
    }
    await ok(["kill", "dit"]);
    const r = await attach.done;
    expect(r.stdout).toContain("marker-2");
    expect(r.code).toBe(137);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
  }, 90_000);
});

describe("run -d", () => {
  it("a command that cannot start is an error, as Docker's (127, what failed); one that ran and ended is not", async () => {
    const bad = await b.berth(["run", "-d", "--name", "no-cmd", "busybox", "no-such-command"]);
    expect(bad.code).toBe(127);
    expect(bad.stderr).toMatch(/failed to start container [0-9a-f]{12}: .*no-such-command/);
    expect(bad.stdout).toBe("");
    const quick = await b.berth(["run", "-d", "--name", "quick", "busybox", "true"]);
    expect(quick.code, quick.stderr).toBe(0);
    expect(quick.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    await ok(["rm", "-f", "no-cmd", "quick"]);
  }, 60_000);

  it("with --rm too: the container goes with its failure, and run still names it (127); one that ran is fine", async () => {
    const bad = await b.berth(["run", "-d", "--rm", "--name", "no-cmd-rm", "busybox", "no-such-command"]);
    expect(bad.code).toBe(127);
    expect(bad.stderr).toMatch(/failed to start container [0-9a-f]{12}: .*no-such-command/);
    expect(bad.stdout).toBe("");
    // Removed, as Docker's --rm removes a container whose start failed.
    await until("the failed container to be removed", async () => !(await ok(["ps", "-a", "--format", "{{.Names}}"])).split("\n").includes("no-cmd-rm"));
    const quick = await b.berth(["run", "-d", "--rm", "busybox", "true"]);
    expect(quick.code, quick.stderr).toBe(0);
    expect(quick.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
  }, 60_000);
});

describe("inspect", () => {
  beforeAll(async () => {
    await ok(["run", "-d", "--name", "insp", "-l", "team=core", "busybox", "sleep", "600"]);
    await ok(["volume", "create", "insp-vol"]);
    await ok(["network", "create", "insp-net"]);
  }, 60_000);

  it("-f renders a Go template per object: fields, json, index, range", async () => {
    expect(await ok(["inspect", "-f", "{{.Name}} {{.State.Running}} {{index .Config.Labels \"team\"}}", "insp"])).toBe("/insp true core\n");
    expect(JSON.parse(await ok(["inspect", "--format", "{{json .State}}", "insp"]))).toMatchObject({ Status: "running", Running: true });
    expect(await ok(["inspect", "-f", "{{range .Config.Cmd}}[{{.}}]{{end}}", "insp"])).toBe("[sleep][600]\n");
  });

  it("finds images, volumes and networks by name (Docker's lookup order), and --type narrows it", async () => {
    expect(await ok(["inspect", "-f", "{{index .RepoTags 0}}", "busybox"])).toBe("busybox:latest\n");
    expect(await ok(["inspect", "-f", "{{.Name}} {{.Driver}}", "insp-vol"])).toBe("insp-vol local\n");
    expect(await ok(["inspect", "-f", "{{.Name}} {{.Driver}}", "insp-net"])).toBe("insp-net bridge\n");
    const all = JSON.parse(await ok(["inspect", "insp", "busybox", "insp-vol"])) as { Id?: string; Name?: string }[];
    expect(all).toHaveLength(3);
    const wrongType = await b.berth(["inspect", "--type", "volume", "busybox"]);
    expect(wrongType).toMatchObject({ code: 1, stdout: "[]\n", stderr: "berth: Error: No such volume: busybox\n" });
    const none = await b.berth(["inspect", "-f", "{{.Id}}", "nothing-by-this-name"]);
    expect(none).toMatchObject({ code: 1, stdout: "", stderr: "berth: Error: No such object: nothing-by-this-name\n" });
  });

  it("`container inspect` and `image inspect` are the same lookups, each of its kind", async () => {
    expect(await ok(["container", "inspect", "-f", "{{.State.Status}}", "insp"])).toBe("running\n");
    expect((await b.berth(["container", "inspect", "busybox"])).code).toBe(1);
    expect(await ok(["image", "inspect", "-f", "{{.Os}}", "busybox"])).toBe("linux\n");
    expect(await ok(["volume", "inspect", "--format", "{{.Name}}", "insp-vol"])).toBe("insp-vol\n");
    expect(await ok(["network", "inspect", "-f", "{{.Name}}", "insp-net"])).toBe("insp-net\n");
  });
});

describe("version and info", () => {
  it("version prints Client and Server blocks, and --format reads their fields", async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
    const out = await ok(["version"]);
    expect(out).toMatch(new RegExp(`^Client:\\n Version: +${pkg.version}\\n`));
    expect(out).toMatch(/\nServer: Berth\n Engine:\n {2}Version: +\S+\n/);
    expect(out).toContain(`OS/Arch:          linux/`);
    expect(await ok(["version", "--format", "{{.Server.Version}} {{.Client.Os}}"])).toBe(`${pkg.version} linux\n`);
  });

  it("info counts containers and images, and --format reads Docker's field names", async () => {
    const out = await ok(["info"]);
    expect(out).toMatch(/\nServer:\n Containers: \d+\n {2}Running: \d+\n {2}Paused: \d+\n {2}Stopped: \d+\n Images: \d+\n/);
    expect(out).toContain(` Docker Root Dir: ${b.home}\n`);
    const f = (await ok(["info", "--format", "{{.ContainersRunning}}/{{.Containers}} {{.Images}} {{.OSType}} {{.NCPU}}"])).trim().split(/[ /]/);
    const ps = (await ok(["ps", "-q"])).trim().split("\n").filter(Boolean).length;
    const psa = (await ok(["ps", "-aq"])).trim().split("\n").filter(Boolean).length;
    expect(f).toEqual([String(ps), String(psa), expect.stringMatching(/^\d+$/), "linux", String(os.cpus().length)]);
    expect(await ok(["system", "info", "-f", "{{.ServerVersion}}"])).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe("management commands", () => {
  it("container ls/rm and image ls are the top-level commands", async () => {
    await ok(["run", "--name", "mgmt", "busybox", "true"]);
    expect(await ok(["container", "ls", "-a", "--filter", "name=mgmt", "--format", "{{.Names}}"])).toBe("mgmt\n");
    expect(await ok(["container", "list", "-aq", "--filter", "name=mgmt"])).toMatch(/^[0-9a-f]{12}\n$/);
    expect(await ok(["container", "rm", "mgmt"])).toBe("mgmt\n");
    expect(await ok(["image", "ls", "-q"])).toEqual(await ok(["images", "-q"]));
    expect(await ok(["images", "-a", "-q"])).toEqual(await ok(["images", "-q"]));
  });
});

describe("prunes", () => {
  it("container prune and system prune ask first (no answer: nothing goes), -f or y removes", async () => {
    const gone = (await ok(["create", "--name", "prune-me", "busybox", "true"])).trim();
    const ask = await b.berth(["container", "prune"]);
    expect(ask.code).toBe(0);
    expect(ask.stdout).toBe("WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ");
    expect(await ok(["ps", "-aq", "--filter", "name=prune-me"])).not.toBe("");

    const sys = await b.berth(["system", "prune", "-a", "--volumes"]);
    expect(sys.stdout).toBe(
      "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all anonymous volumes not used by at least one container\n  - all images without at least one container associated to them\n\nAre you sure you want to continue? [y/N] ",
    );
    expect(await ok(["ps", "-aq", "--filter", "name=prune-me"])).not.toBe("");

    const net = await b.berth(["network", "prune"]);
    expect(net.stdout).toBe("WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ");
    expect(await ok(["network", "ls"])).toContain("insp-net");

    const yes = await berthWithInput(["container", "prune"], "y\n");
    expect(yes.code).toBe(0);
    expect(yes.stdout).toContain(`Deleted Containers:\n${gone}\n`);
    expect(yes.stdout).toMatch(/\nTotal reclaimed space: \S+\n$/);
    expect(await ok(["ps", "-aq", "--filter", "name=prune-me"])).toBe("");

    await ok(["create", "--name", "prune-me-too", "busybox", "true"]);
    await ok(["network", "create", "prune-net"]);
    const forced = await ok(["system", "prune", "-f"]);
    expect(forced).toMatch(/^Deleted Containers:\n[0-9a-f]{64}\n/);
    expect(forced).toMatch(/\nDeleted Networks:\n([^\n]+\n)*prune-net\n/);
    // busybox is in use by running containers: never pruned.
    expect(await ok(["images", "-q"])).not.toBe("");
  }, 120_000);
});

describe("ps columns", () => {
  it("shows PORTS, the image's CMD as COMMAND, and SIZE with -s", async () => {
    const id = (await ok(["run", "-d", "--name", "ported", "-p", "127.0.0.1::80", "busybox", "httpd", "-f", "-p", "80"])).trim();
    const port = (await ok(["port", "ported", "80"])).trim();
    expect(port).toMatch(/^127\.0\.0\.1:\d+$/);
    const table = await ok(["ps", "--filter", "name=ported"]);
    const [head, row] = table.split("\n");
    expect(head!.split(/\s{2,}/)).toEqual(["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]);
    expect(row).toContain(`${port}->80/tcp   ported`);
    expect(row!.startsWith(id.slice(0, 12))).toBe(true);

    await ok(["run", "--name", "default-cmd", "busybox"]);
    expect(await ok(["ps", "-a", "--filter", "name=default-cmd", "--format", "{{.Command}}"])).toBe('"sh"\n');

    await ok(["exec", "ported", "sh", "-c", "head -c 5000 /dev/zero > /big"]);
    const sized = await ok(["ps", "-s", "--filter", "name=ported"]);
    const [h2, r2] = sized.split("\n");
    expect(h2!.split(/\s{2,}/).at(-1)).toBe("SIZE");
    expect(r2).toMatch(/ported\s+\d+(\.\d+)?kB \(virtual \d+(\.\d+)?MB\)$/);
  }, 60_000);
});

describe("run pulls a missing image", () => {
  let dir: string;
  let registry: http.Server;
  let host: string;
  const requests: string[] = [];

  /** A registry (no auth) serving one image, x/tool:1, whose CMD prints "pulled". */
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-pull-"));
    const root = path.join(dir, "rootfs");
    fs.mkdirSync(path.join(root, "bin"), { recursive: true });
    const busybox = hostBusybox();
    fs.copyFileSync(busybox, path.join(root, "bin/busybox"));
    fs.chmodSync(path.join(root, "bin/busybox"), 0o755);
    const tar = execFileSync("tar", ["-C", root, "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-cf", "-", "."], { maxBuffer: 64 << 20 });
    const layer = gzipSync(tar);
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: { Cmd: ["/bin/busybox", "echo", "pulled"] }, rootfs: { type: "layers", diff_ids: [sha256(tar)] } }));
    const manifest = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, digest: sha256(config), size: config.length }, layers: [{ mediaType: OCI_LAYER, digest: sha256(layer), size: layer.length }] }),
    );
    const blobs = new Map([layer, config].map((x) => [sha256(x), x]));
    registry = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      if (req.url === "/v2/") return void res.writeHead(200).end("{}");
      if (req.url === "/v2/x/tool/manifests/1" || req.url === `/v2/x/tool/manifests/${sha256(manifest)}`) {
        return void res.writeHead(200, { "content-type": OCI_MANIFEST, "docker-content-digest": sha256(manifest), "content-length": manifest.length }).end(req.method === "HEAD" ? undefined : manifest);
      }
      const blob = /^\/v2\/x\/tool\/blobs\/(sha256:[0-9a-f]{64})$/.exec(req.url ?? "");
      const data = blob && blobs.get(blob[1]!);
      if (data) return void res.writeHead(200, { "content-length": data.length }).end(req.method === "HEAD" ? undefined : data);
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN", message: "unknown" }] }));
    });
    await new Promise<void>((resolve) => registry.listen(0, "127.0.0.1", resolve));
    host = `127.0.0.1:${(registry.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    registry?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("--pull never refuses, the default (missing) pulls then runs, always pulls again", async () => {
    const ref = `${host}/x/tool:1`;
    const never = await b.berth(["run", "--rm", "--pull", "never", ref]);
    expect(never.code).toBe(125);
    expect(never.stderr).toContain(`No such image: ${ref}`);
    expect(requests).toEqual([]);

    const r = await b.berth(["run", "--rm", ref], { timeoutMs: 60_000 });
    expect(r).toMatchObject({ code: 0, stdout: "pulled\n" });
    expect(r.stderr).toMatch(new RegExp(`^Unable to find image '${ref}' locally\\nDigest: sha256:[0-9a-f]{64}\\nStatus: Downloaded newer image for ${ref}\\n$`));

    const n = requests.length;
    const again = await b.berth(["run", "--rm", ref]);
    expect(again).toMatchObject({ code: 0, stdout: "pulled\n", stderr: "" });
    expect(requests.length).toBe(n);

    const always = await b.berth(["run", "--rm", "--pull", "always", ref], { timeoutMs: 60_000 });
    expect(always).toMatchObject({ code: 0, stdout: "pulled\n" });
    expect(requests.length).toBeGreaterThan(n);

    const bad = await b.berth(["run", "--pull", "sometimes", ref]);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain(`invalid pull option: 'sometimes'`);
  }, 120_000);
});

describe("exit codes", () => {
  it("a bad flag exits 125 for any command (Docker's client); a missing argument 1", async () => {
    for (const args of [["ps", "--bogus"], ["images", "--bogus"], ["logs", "--bogus", "x"], ["inspect", "--bogus", "x"], ["volume", "ls", "--bogus"], ["stop", "-t", "soon", "x"]]) {
      const r = await b.berth(args);
      expect(r.code, args.join(" ")).toBe(125);
    }
    expect((await b.berth(["logs"])).code).toBe(1);
  });
});
