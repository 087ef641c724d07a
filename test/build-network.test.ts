/**
 * `berth build`'s RUN steps on a network, as with `docker build`: by default an endpoint on the
 * default bridge network (outbound NAT), released when the step ends; `--network none` leaves
 * only lo, `--network host` shares the host's stack. The network's /etc files never reach a layer.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInstance, type Instance } from "./harness.js";
import { makeOutsideWorld, type OutsideWorld } from "./outside-world.js";

const rand = Math.random().toString(36).slice(2, 7);
let b: Instance;
let work: string;

// The test's own "outside world" (a namespace behind a veth pair; see outside-world.ts).
let outside: OutsideWorld;

beforeAll(async () => {
  outside = makeOutsideWorld("tbn");
  execFileSync("tar", ["--version"]);
  await outside.listen(7777, "seen ");
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-build-net-"));
  b = await startInstance();
}, 180_000);

afterAll(async () => {
  outside?.remove();
  if (work) fs.rmSync(work, { recursive: true, force: true });
  // stop() also fails on a leftover link, rule or cgroup: the steps' endpoints must be gone.
  if (b) await b.stop();
}, 120_000);

const T = { timeoutMs: 180_000 };
async function ok(args: string[]) {
  const r = await b.berth(args, T);
  if (r.code !== 0) throw new Error(`berth ${args.join(" ")} exited ${r.code}: ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** A context whose RUN step asks the listener (retrying up to TRIES times) and keeps its answer in /reply. */
function context(): string {
  const dir = fs.mkdtempSync(path.join(work, "ctx-"));
  fs.writeFileSync(
    path.join(dir, "Dockerfile"),
    ["FROM busybox", "ARG TRIES=150", `RUN for i in $(seq $TRIES); do nc ${outside.peerAddress} 7777 </dev/null > /reply && [ -s /reply ] && exit 0; sleep 0.2; done; exit 1`, ""].join("\n"),
  );
  return dir;
}

/** Entry names of the image's topmost layer, from `berth save`'s archive. */
function topLayerEntries(archive: string): string[] {
  const out = fs.mkdtempSync(path.join(work, "save-"));
  execFileSync("tar", ["-xf", archive, "-C", out]);
  const [m] = JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8")) as { Layers: string[] }[];
  const layer = m!.Layers.at(-1)!;
  return execFileSync("tar", ["-tf", path.join(out, layer)], { encoding: "utf8" }).split("\n").filter(Boolean);
}

describe("build --network", () => {
  it("by default a RUN step reaches another namespace through the bridge network (NAT), and its layer has none of the network's /etc files", { timeout: 240_000 }, async () => {
    const tag = `bnet-${rand}:default`;
    await ok(["build", "-t", tag, context()]);
    // Masqueraded to the host's address on the way out, as a container on the bridge is.
    expect(await ok(["run", "--rm", "--network", "none", tag, "cat", "/reply"])).toBe(`seen ${outside.hostAddress}\n`);

    const archive = path.join(work, "default.tar");
    await ok(["save", "-o", archive, tag]);
    const entries = topLayerEntries(archive).map((e) => e.replace(/^\.\//, ""));
    expect(entries).toContain("reply");
    expect(entries.filter((e) => e.startsWith("etc"))).toEqual([]);

    // The step's endpoint went with it.
    const [bridge] = JSON.parse(await ok(["network", "inspect", "bridge"])) as { Containers: Record<string, unknown> }[];
    expect(bridge!.Containers).toEqual({});
  });

  it("--network none: only lo, the step fails and is named (a RUN cached from a networked build is not reused)", { timeout: 240_000 }, async () => {
    // The same step built with the network first: its cache entry must not serve --network none.
    await ok(["build", "--build-arg", "TRIES=20", "-t", `bnet-${rand}:twenty`, context()]);
    const r = await b.berth(["build", "--network", "none", "--build-arg", "TRIES=20", "-t", `bnet-${rand}:none`, context()], T);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`nc ${outside.peerAddress} 7777`);
    expect(r.stderr).toMatch(/returned a non-zero code: 1/);
    expect((await b.berth(["image", "inspect", `bnet-${rand}:none`])).code).not.toBe(0);
  });

  it("--network host: the host's stack (the listener sees the host's own address); an unknown mode is refused", { timeout: 240_000 }, async () => {
    await ok(["build", "--no-cache", "--network", "host", "-t", `bnet-${rand}:host`, context()]);
    expect(await ok(["run", "--rm", "--network", "none", `bnet-${rand}:host`, "cat", "/reply"])).toBe(`seen ${outside.hostAddress}\n`);
    const bad = await b.berth(["build", "--network", `nosuch-${rand}`, context()], T);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(`--network nosuch-${rand}`);
  });
});
