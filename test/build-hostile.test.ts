/**
 * Hostile build contexts, through the real `berth build`, against a real Berth: none may write
 * or read a host file, none may take the worker down. Each case fails (or builds inside the
 * image) with a clear error while a container started before keeps running, the worker keeps
 * its pid, its resident memory stays bounded, and builds/ is left empty.
 */
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useInstance } from "./harness.js";

const b = useInstance();
const T = { timeoutMs: 180_000 };
let work: string;
let sleeper: string;
let workerPid: number;
let rssBefore: number;

/** The worker of this instance: node running worker/dist/main.js with this BERTH_HOME. */
function findWorker(): number {
  for (const p of fs.readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, "utf8");
      if (!cmd.includes("worker/dist/main.js")) continue;
      if (fs.readFileSync(`/proc/${p}/environ`, "utf8").split("\0").includes(`BERTH_HOME=${b.home}`)) return Number(p);
    } catch {
      /* gone */
    }
  }
  throw new Error(`no worker process for ${b.home}`);
}

const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))![1]);

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-hostile-"));
  const r = await b.berth(["run", "-d", "busybox", "sleep", "1000"], T);
  expect(r.code, r.stderr).toBe(0);
  sleeper = r.stdout.trim();
  workerPid = findWorker();
  rssBefore = rssKiB(workerPid);
}, 120_000);
afterAll(async () => {
  if (sleeper) await b.berth(["rm", "-f", sleeper], T).catch(() => undefined);
  // rm(1): the deep tree is past what Node's recursive rm walks.
  if (work) execFileSync("rm", ["-rf", work]);
});

/** A fresh context directory with these files (a string is content; { link } a symlink; { fifo } a FIFO). */
function context(files: Record<string, string | { link: string } | { fifo: true }>): string {
  const dir = fs.mkdtempSync(path.join(work, "ctx-"));
  for (const [rel, v] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    if (typeof v === "string") fs.writeFileSync(p, v);
    else if ("link" in v) fs.symlinkSync(v.link, p);
    else execFileSync("mkfifo", [p]);
  }
  return dir;
}

/** A directory outside every context, standing for a host directory a build must not write to. */
function hostDir(): string {
  return fs.mkdtempSync(path.join(work, "host-"));
}

const leftovers = () => fs.readdirSync(path.join(b.home, "builds")).filter((n) => n.endsWith(".tar") || n.startsWith("build-"));

/** After each hostile build: the container runs, the worker is the same process within its memory bound, builds/ is clean. */
async function hostStillFine(): Promise<void> {
  const st = await b.berth(["inspect", sleeper], T);
  expect(st.code, st.stderr).toBe(0);
  expect((JSON.parse(st.stdout) as { State: { Running: boolean } }[])[0]!.State.Running, "the container started before the build").toBe(true);
  expect(findWorker(), "the worker was restarted").toBe(workerPid);
  // A generous memory bound (not a timing): the worker did not read a hostile file into memory.
  expect(rssKiB(workerPid) - rssBefore).toBeLessThan(300 * 1024);
  // The scratch dirs go right after the build's end reaches the client.
  for (let i = 0; leftovers().length && i < 200; i++) await new Promise((r) => setTimeout(r, 50));
  expect(leftovers()).toEqual([]);
}

const build = (dir: string, tag = "hostile:1") => b.berth(["build", "-t", tag, dir], { timeoutMs: 800_000 });

describe("writes stay in the image", () => {
  it("COPY a b /out/ with a/x a symlink to a host directory and b/x/file a file: the host directory gains nothing", async () => {
    const host = hostDir();
    const dir = context({ Dockerfile: "FROM busybox\nCOPY a b /out/\n", "a/x": { link: host }, "b/x/file": "pwned\n" });
    const r = await build(dir, "hostile:copy");
    expect(fs.readdirSync(host), `${r.stdout}${r.stderr}`).toEqual([]);
    // As in Docker: the link is followed inside the image, so the file lands at the link's target there.
    expect(r.code, r.stderr).toBe(0);
    const cat = await b.berth(["run", "--rm", "hostile:copy", "cat", `${host}/file`], T);
    expect(cat.stdout).toBe("pwned\n");
    await hostStillFine();
  });

  it("ADD of a tar into a directory through a symlinked host directory: the host directory gains nothing", async () => {
    const host = hostDir();
    const dir = context({ Dockerfile: "FROM busybox\nADD a b.tar /out/x/\n", "a/x": { link: host } });
    const src = fs.mkdtempSync(path.join(work, "tar-"));
    fs.writeFileSync(path.join(src, "file"), "pwned\n");
    execFileSync("tar", ["-cf", path.join(dir, "b.tar"), "-C", src, "file"]);
    const r = await build(dir, "hostile:add");
    expect(fs.readdirSync(host), `${r.stdout}${r.stderr}`).toEqual([]);
    await hostStillFine();
  });

  it("COPY --from a stage whose tree links out to a host directory: the host directory gains nothing", async () => {
    const host = hostDir();
    const df = `FROM busybox AS s\nRUN mkdir -p /a /b/x && ln -s ${host} /a/x && echo pwned > /b/x/file\nFROM busybox\nCOPY --from=s /a /b /out/\n`;
    const r = await build(context({ Dockerfile: df }), "hostile:from");
    expect(fs.readdirSync(host), `${r.stdout}${r.stderr}`).toEqual([]);
    await hostStillFine();
  });
});

describe("the Dockerfile and .dockerignore are read only as regular files inside the context", () => {
  it("a Dockerfile symlinked to a host file: the error does not carry the file's content", async () => {
    const secret = `TOPSECRET${crypto.randomBytes(16).toString("hex")}`;
    const file = path.join(hostDir(), "agent.key");
    fs.writeFileSync(file, `${secret}\n`);
    const r = await build(context({ Dockerfile: { link: file } }));
    expect(r.code).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).not.toContain(secret);
    expect(r.stderr).toMatch(/Dockerfile/);
    await hostStillFine();
  });

  it("a Dockerfile symlinked to a host FIFO fails instead of hanging the worker", async () => {
    const fifo = path.join(hostDir(), "fifo");
    execFileSync("mkfifo", [fifo]);
    const r = await build(context({ Dockerfile: { link: fifo } }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Dockerfile/);
    await hostStillFine();
  });

  it("a Dockerfile that is a FIFO in the context fails with a clear error", async () => {
    const r = await build(context({ Dockerfile: { fifo: true } }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Dockerfile/);
    await hostStillFine();
  });

  it("a Dockerfile symlinked to /dev/zero fails without the worker reading it", async () => {
    const r = await build(context({ Dockerfile: { link: "/dev/zero" } }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Dockerfile/);
    await hostStillFine();
  });

  it("a .dockerignore symlinked to /dev/zero fails with a clear error", async () => {
    const r = await build(context({ Dockerfile: "FROM busybox\n", ".dockerignore": { link: "/dev/zero" } }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/\.dockerignore/);
    await hostStillFine();
  });
});

describe("contexts are bounded", () => {
  // The CLI takes minutes to pack a tree this deep on a loaded machine (node-tar): a long timeout, no timing asserted.
  it("a tree of 2,000 nested directories fails naming the depth limit and .dockerignore", { timeout: 900_000 }, async () => {
    const dir = context({ Dockerfile: "FROM busybox\nCOPY . /ctx/\n" });
    // Just under PATH_MAX (4096) at the bottom, so the CLI can still walk and pack it.
    let p = dir;
    for (let i = 0; i < 2000; i++) {
      p = path.join(p, "d");
      fs.mkdirSync(p);
    }
    const r = await build(dir);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/deep/);
    expect(r.stderr).toMatch(/\.dockerignore/);
    await hostStillFine();
  });
});
