/**
 * `berth build` end to end against a real Berth: real RUN containers, real layers, the step
 * cache, multi-stage, .dockerignore, and failures that keep the previous tag. Fixtures live
 * in test/fixtures/build/<name>/.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, run, startInstance, type Instance } from "./harness.js";

const FIXTURES = path.join(ROOT, "test/fixtures/build");
let b: Instance;
let work: string;
beforeAll(async () => {
  b = await startInstance();
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-build-"));
});
afterAll(async () => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
  await b?.stop();
});

const T = { timeoutMs: 180_000 };
const ok = async (args: string[]) => {
  const r = await b.berth(args, T);
  expect(r.code, `berth ${args.join(" ")}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
};
const inspect = async (ref: string) => JSON.parse((await ok(["image", "inspect", ref])).stdout)[0] as { Id: string; Config: Record<string, unknown>; RootFS: { Layers: string[] } };
/** A private copy of a fixture, so a test may change files. */
const fixture = (name: string) => {
  const dir = path.join(work, `${name}-${Math.random().toString(36).slice(2, 8)}`);
  fs.cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  return dir;
};
/** Output lines per step: ["Step 2/7 : ENV …", ["output"…, " ---> CACHED"]]. */
const steps = (out: string) =>
  out
    .split(/^(?=Step \d+\/\d+ : )/m)
    .filter((s) => s.startsWith("Step "))
    .map((s) => ({ head: s.split("\n")[0]!, cached: / ---> CACHED\n/.test(s) }));

describe("instructions", () => {
  it("builds FROM/ARG/ENV/WORKDIR/COPY/RUN/LABEL/EXPOSE/VOLUME/SHELL/STOPSIGNAL/HEALTHCHECK/ONBUILD/USER/ENTRYPOINT/CMD", async () => {
    const r = await ok(["build", "-t", "basic:1", "--build-arg", "GREETING=hi", fixture("basic")]);
    expect(r.stdout).toMatch(/Successfully built [0-9a-f]{12}/);
    expect(r.stdout).toContain("Successfully tagged basic:1");
    const img = await inspect("basic:1");
    const c = img.Config;
    expect(c.Env).toEqual(expect.arrayContaining(["APP_HOME=/app", "MODE=two words"]));
    expect(c.WorkingDir).toBe("/app");
    expect(c.User).toBe("nobody");
    expect(c.Entrypoint).toEqual(["/bin/cat"]);
    expect(c.Cmd).toEqual(["/app/hello.txt"]);
    expect(c.Labels).toEqual({ "org.example.name": "berth test", version: "1" });
    expect(c.ExposedPorts).toEqual({ "8080/tcp": {}, "53/udp": {} });
    expect(c.Volumes).toEqual({ "/data": {} });
    expect(c.Shell).toEqual(["/bin/sh", "-c"]);
    expect(c.StopSignal).toBe("SIGINT");
    expect(c.Healthcheck).toEqual({ Test: ["CMD-SHELL", "cat /app/hello.txt"], Interval: 30e9, Timeout: 5e9, Retries: 3 });
    expect(c.OnBuild).toEqual(["RUN echo child"]);
    // busybox's layer + WORKDIR + COPY + two RUNs
    expect(img.RootFS.Layers.length).toBe((await inspect("busybox")).RootFS.Layers.length + 4);
    const hist = JSON.parse((await ok(["image", "inspect", "basic:1"])).stdout)[0];
    expect(hist).toBeTruthy();

    const run = await ok(["run", "--rm", "basic:1", "/app/hello.txt", "/app/built.txt", "/app/exec.txt"]);
    expect(run.stdout).toBe("hello world\nhi from two words in /app\nexec-form\n");
  });

  it("RUN rm leaves a whiteout: the file is absent in the final root", async () => {
    const check = async () => {
      const r = await b.berth(["run", "--rm", "basic:1", "/data/kept", "/data/gone"], T);
      expect(r.stdout).toBe("stays\n");
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/gone/);
    };
    await check();
    // Again from the layer blobs alone (the builder keeps each step's dir as its snapshot).
    const snaps = path.join(b.home, "snapshots");
    for (const n of fs.readdirSync(snaps)) fs.rmSync(path.join(snaps, n), { recursive: true, force: true });
    await check();
  });

  it("honours .dockerignore, globs, directories, --chown and ADD of a local tar", async () => {
    await ok(["build", "-t", "copyadd:1", fixture("copyadd")]);
    const ls = await ok(["run", "--rm", "copyadd:1", "sh", "-c", "cd / && find globbed copied owned unpacked added ctx | sort && stat -c '%U:%G %a' /owned/a.txt && cat /unpacked/inside.txt /copied/nested/deep.txt"]);
    const lines = ls.stdout.trim().split("\n");
    expect(lines).toEqual(expect.arrayContaining(["globbed/a.txt", "globbed/b.txt", "copied/top.txt", "copied/nested/deep.txt", "copied/b.txt", "owned/a.txt", "unpacked/inside.txt", "added/b.txt", "ctx/Dockerfile", "ctx/a.txt"]));
    expect(lines).not.toContain("ctx/ignored-dir");
    expect(lines).not.toContain("ctx/ignored-dir/x");
    expect(lines).toContain("nobody:nogroup 644");
    expect(lines.slice(-2)).toEqual(["from-tar", "deep"]);
  });

  it("leaves ignored files out of the context", async () => {
    const r = await ok(["run", "--rm", "basic:1", "/app/hello.txt"]);
    expect(r.stdout).toBe("hello world\n");
    const dir = fixture("basic");
    fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM busybox\nCOPY . /ctx/\n");
    await ok(["build", "-t", "ctx:1", dir]);
    const ls = await ok(["run", "--rm", "ctx:1", "ls", "-A", "/ctx"]);
    expect(ls.stdout.trim().split("\n").sort()).toEqual([".dockerignore", "Dockerfile", "hello.txt", "keep.bak", "sub"]);
  });
});

describe("cache", () => {
  it("a rebuild with nothing changed is all CACHED; changing one copied file rebuilds from that step only", async () => {
    const dir = fixture("cache");
    const first = await ok(["build", "-t", "cache:1", dir]);
    const id1 = (await inspect("cache:1")).Id;
    const again = steps((await ok(["build", "-t", "cache:1", dir])).stdout);
    expect(again.length).toBe(7);
    expect(again.slice(1).every((s) => s.cached), JSON.stringify(again)).toBe(true);
    expect((await inspect("cache:1")).Id).toBe(id1);
    expect(steps(first.stdout).slice(1).some((s) => s.cached)).toBe(false);

    fs.writeFileSync(path.join(dir, "one.txt"), "changed\n");
    const third = steps((await ok(["build", "-t", "cache:1", dir])).stdout);
    expect(third.map((s) => s.cached)).toEqual([false, true, true, false, false, false, false]);
    expect((await ok(["run", "--rm", "cache:1"])).stdout).toBe("changed\n");

    const nocache = steps((await ok(["build", "--no-cache", "-t", "cache:1", dir])).stdout);
    expect(nocache.some((s) => s.cached)).toBe(false);
  });
});

describe("context sizes", () => {
  // The CLI packs a small context in memory (under 1 MiB, plain files) and streams a larger one
  // with node-tar; web hands a context of up to 256 KiB to the worker inside the job, a larger
  // one as a file. Every pair must build alike, and the two packers must give the same cache keys.
  const buildsLeftovers = () => fs.readdirSync(path.join(b.home, "builds")).filter((n) => n.endsWith(".tar") || n.startsWith("build-"));

  it("a context inside the job, one past the inline limit, and one past the in-memory packing limit build and cache alike", async () => {
    const dir = path.join(work, "sizes");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM busybox\nCOPY data.bin /data.bin\nRUN sha256sum /data.bin > /sum\nCMD [\"cat\", \"/sum\"]\n");
    for (const size of [100 * 1024, 300 * 1024, 1536 * 1024]) {
      const data = crypto.randomBytes(size);
      fs.writeFileSync(path.join(dir, "data.bin"), data);
      const first = steps((await ok(["build", "-t", "sizes:1", dir])).stdout);
      expect(first.slice(1).some((s) => s.cached), JSON.stringify(first)).toBe(false);
      expect((await ok(["run", "--rm", "sizes:1"])).stdout).toBe(`${crypto.createHash("sha256").update(data).digest("hex")}  /data.bin\n`);
      const again = steps((await ok(["build", "-t", "sizes:1", dir])).stdout);
      expect(again.slice(1).every((s) => s.cached), JSON.stringify(again)).toBe(true);
    }
    // The scratch dirs go right after the build's end reaches the client.
    for (let i = 0; buildsLeftovers().length && i < 100; i++) await new Promise((r) => setTimeout(r, 50));
    expect(buildsLeftovers()).toEqual([]);
    // Finished build jobs stay in Redis a while: not with the contexts that came inside them.
    const longest = await run("redis-cli", ["-s", path.join(b.home, "redis", "redis.sock"), "--raw", "eval", "local m = 0 for _, k in ipairs(redis.call('keys', 'bull:builds:*')) do if redis.call('type', k).ok == 'hash' then local d = redis.call('hget', k, 'data') if d and #d > m then m = #d end end end return m", "0"]);
    expect(longest.code, longest.stderr).toBe(0);
    expect(Number(longest.stdout.trim())).toBeGreaterThan(0);
    expect(Number(longest.stdout.trim())).toBeLessThan(2000);
  });

  it("node-tar's archive and the in-memory one give the same cache keys", async () => {
    const dir = path.join(work, "packers");
    fs.mkdirSync(path.join(dir, "sub"), { recursive: true });
    fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM busybox\nCOPY sub /sub\nCOPY a.txt /a.txt\n");
    fs.writeFileSync(path.join(dir, "sub", "x.txt"), "x\n");
    fs.writeFileSync(path.join(dir, "a.txt"), "a\n");
    // A hard link in the context: the CLI streams it with node-tar (the in-memory pass leaves links to it).
    fs.linkSync(path.join(dir, "a.txt"), path.join(dir, "a-link.txt"));
    const first = steps((await ok(["build", "-t", "packers:1", dir])).stdout);
    expect(first.slice(1).some((s) => s.cached)).toBe(false);
    fs.rmSync(path.join(dir, "a-link.txt"));
    const again = steps((await ok(["build", "-t", "packers:1", dir])).stdout);
    expect(again.slice(1).every((s) => s.cached), JSON.stringify(again)).toBe(true);
  });
});

describe("multi-stage", () => {
  it("copies only the named artefact; --target stops at a stage", async () => {
    await ok(["build", "-t", "multi:1", "--build-arg", "BASE=busybox:latest", fixture("multistage")]);
    expect((await ok(["run", "--rm", "multi:1"])).stdout).toBe("artefact\nartefact\nartefact\n");
    const absent = await b.berth(["run", "--rm", "multi:1", "ls", "/out/junk", "/builder-only", "/other"], T);
    expect(absent.code).not.toBe(0);
    expect(absent.stdout).toBe("");

    await ok(["build", "-t", "multi:builder", "--target", "builder", fixture("multistage")]);
    expect((await ok(["run", "--rm", "multi:builder", "cat", "/out/junk", "/builder-only"])).stdout).toBe("junk\nbuilder-only\n");
  });
});

describe("failures", () => {
  it("a failing RUN shows its output and exit code, names the step, and keeps the previous tag", async () => {
    await ok(["build", "-t", "keep:1", fixture("cache")]);
    const before = (await inspect("keep:1")).Id;
    const r = await b.berth(["build", "-t", "keep:1", fixture("failing")], T);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("about to fail");
    expect(r.stdout).toContain("oops");
    expect(r.stderr).toMatch(/returned a non-zero code: 3/);
    expect(r.stderr).toContain("RUN echo about to fail");
    expect(r.stderr).toContain("line 2");
    expect((await inspect("keep:1")).Id).toBe(before);
  });

  it("a syntax error names the line", async () => {
    const r = await b.berth(["build", "-t", "syntax:1", fixture("syntax")], T);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 3/);
    expect(r.stderr).toMatch(/FRM/);
    const gone = await b.berth(["image", "inspect", "syntax:1"], T);
    expect(gone.code).not.toBe(0);
  });
});
