/**
 * `berth build`: ONBUILD triggers (run right after FROM in the child's build, in order, not
 * inherited by the child's image) and ADD from URLs (downloaded by the builder from a server
 * this test runs on 127.0.0.1: mode 0600, mtime from Last-Modified, never extracted, --chown
 * honoured, cached on URL + validators + content). Fixtures in test/fixtures/build/.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startInstance, type Instance } from "./harness.js";

const FIXTURES = path.join(ROOT, "test/fixtures/build");
let b: Instance;
let work: string;
let server: http.Server;
let base = "";
const served = { data: "downloaded data\n", etag: '"v1"', gets: 0 };
const LAST_MODIFIED = new Date("2021-06-01T12:00:00Z");

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-build-triggers-"));
  // A tar, which ADD would extract were it a local file; from a URL it stays a file.
  const bundle = fs.readFileSync(path.join(FIXTURES, "copyadd/bundle.tar"));
  server = http.createServer((req, res) => {
    if (req.url === "/files/data.txt") {
      served.gets++;
      return void res.writeHead(200, { "content-type": "text/plain", etag: served.etag, "last-modified": LAST_MODIFIED.toUTCString() }).end(served.data);
    }
    if (req.url === "/files/bundle.tar") return void res.writeHead(200, { "content-type": "application/x-tar" }).end(bundle);
    res.writeHead(404).end("not here\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  b = await startInstance();
}, 180_000);

afterAll(async () => {
  server?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
  await b?.stop();
}, 120_000);

const T = { timeoutMs: 180_000 };
const ok = async (args: string[]) => {
  const r = await b.berth(args, T);
  expect(r.code, `berth ${args.join(" ")}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
};
const inspect = async (ref: string) => JSON.parse((await ok(["image", "inspect", ref])).stdout)[0] as { Config: { Env?: string[]; OnBuild?: string[] | null }; RootFS: { Layers: string[] } };
const fixture = (name: string) => {
  const dir = path.join(work, `${name.replace(/\//g, "-")}-${Math.random().toString(36).slice(2, 8)}`);
  fs.cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  return dir;
};

describe("ONBUILD", () => {
  it("runs the base's triggers right after FROM, in order, and the child's image does not inherit them", async () => {
    await ok(["build", "-t", "onbuild-parent:1", fixture("onbuild/parent")]);
    const parent = await inspect("onbuild-parent:1");
    expect(parent.Config.OnBuild).toEqual(["COPY app.txt /app/", 'RUN echo "triggered with $(cat /app/app.txt)" > /app/trigger.txt', "ENV FROM_TRIGGER=yes"]);
    // The parent's own build ran none of them.
    expect((await ok(["run", "--rm", "onbuild-parent:1", "ls", "/app"])).stdout).toBe("");

    const child = await ok(["build", "-t", "onbuild-child:1", fixture("onbuild/child")]);
    expect(child.stdout).toContain("# Executing 3 build triggers");
    const order = ["COPY app.txt /app/", "RUN echo", "ENV FROM_TRIGGER=yes", "Step 2/2 : RUN cat /app/trigger.txt"].map((s) => child.stdout.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((x, y) => x - y)).toEqual(order);
    const img = await inspect("onbuild-child:1");
    expect(img.Config.OnBuild ?? []).toEqual([]);
    expect(img.Config.Env).toContain("FROM_TRIGGER=yes");
    expect((await ok(["run", "--rm", "onbuild-child:1", "cat", "/app/after.txt"])).stdout).toBe("triggered with the child's app\nenv=yes\n");
    // The parent's CMD is kept.
    expect((await ok(["run", "--rm", "onbuild-child:1"])).stdout).toBe("triggered with the child's app\n");

    // A rebuild is all cached, triggers included.
    const again = await ok(["build", "-t", "onbuild-child:1", fixture("onbuild/child")]);
    expect(again.stdout.match(/ ---> CACHED/g)?.length).toBe(4);

    const grand = await ok(["build", "-t", "onbuild-grandchild:1", fixture("onbuild/grandchild")]);
    expect(grand.stdout).not.toContain("build trigger");
  });

  it("refuses ONBUILD ONBUILD, ONBUILD FROM and ONBUILD MAINTAINER, naming the line", async () => {
    for (const inner of ["ONBUILD RUN true", "FROM busybox", "MAINTAINER me"]) {
      const dir = path.join(work, `bad-${Math.random().toString(36).slice(2, 8)}`);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, "Dockerfile"), `FROM busybox\nONBUILD ${inner}\n`);
      const r = await b.berth(["build", "-t", "bad-onbuild:1", dir], T);
      expect(r.code, r.stdout + r.stderr).not.toBe(0);
      expect(r.stderr).toMatch(/line 2: ONBUILD: "(ONBUILD|FROM|MAINTAINER)" is not allowed as a trigger/);
    }
  });
});

describe("ADD from a URL", () => {
  it("downloads with mode 0600 and the server's Last-Modified, honours --chown, never extracts, and caches on the content", async () => {
    const dir = fixture("addurl");
    const build = () => ok(["build", "-t", "addurl:1", "--build-arg", `BASE_URL=${base}`, dir]);
    const first = await build();
    expect(first.stdout).not.toMatch(/ ---> CACHED/);
    const stat = (await ok(["run", "--rm", "addurl:1", "stat", "-c", "%n %a %u:%g %Y %s", "/downloads/data.txt", "/downloads/owned.txt", "/downloads/bundle.tar"])).stdout.trim().split("\n");
    const mtime = LAST_MODIFIED.getTime() / 1000;
    const tarSize = fs.statSync(path.join(FIXTURES, "copyadd/bundle.tar")).size;
    expect(stat.slice(0, 2)).toEqual([`/downloads/data.txt 600 0:0 ${mtime} ${served.data.length}`, `/downloads/owned.txt 600 65534:65534 ${mtime} ${served.data.length}`]);
    // No Last-Modified for this one: the download's own time; and still the tar itself, not its files.
    expect(stat[2]).toMatch(new RegExp(`^/downloads/bundle\\.tar 600 0:0 \\d+ ${tarSize}$`));
    expect((await ok(["run", "--rm", "addurl:1", "cat", "/downloads/data.txt"])).stdout).toBe(served.data);

    // Same URL, same validators, same bytes: every step cached (the file is fetched to compare).
    const again = await build();
    expect(again.stdout.match(/ ---> CACHED/g)?.length).toBe(5);

    // New content at the same URL: the ADD steps run again, the steps before stay cached.
    served.data = "changed on the server\n";
    served.etag = '"v2"';
    const changed = await build();
    expect(changed.stdout.match(/ ---> CACHED/g)?.length).toBe(1); // ARG only
    expect((await ok(["run", "--rm", "addurl:1", "cat", "/downloads/owned.txt"])).stdout).toBe(served.data);
    expect(served.gets).toBeGreaterThanOrEqual(6);
  });

  it("fails clearly on a 404 and on COPY from a URL, keeping the previous tag", async () => {
    const before = (await inspect("addurl:1")).RootFS.Layers;
    const dir = path.join(work, "missing-url");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "Dockerfile"), `FROM busybox\nADD ${base}/files/nope.txt /x\n`);
    const r = await b.berth(["build", "-t", "addurl:1", dir], T);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/line 2: ADD: GET http:\/\/127\.0\.0\.1:\d+\/files\/nope\.txt: HTTP 404/);
    fs.writeFileSync(path.join(dir, "Dockerfile"), `FROM busybox\nCOPY ${base}/files/data.txt /x\n`);
    const c = await b.berth(["build", "-t", "addurl:1", dir], T);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toMatch(/line 2: COPY cannot read from a URL/);
    expect((await inspect("addurl:1")).RootFS.Layers).toEqual(before);
  });
});
