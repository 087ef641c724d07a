import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, run, startInstance, type Instance } from "./harness.js";

// berth cp and berth diff end to end, on running and stopped containers, against symlink tricks.
let b: Instance;
let work: string;
beforeAll(async () => {
  b = await startInstance();
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-cp-"));
}, 120_000);
afterAll(async () => {
  if (b) await b.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

async function ok(args: string[]): Promise<string> {
  const r = await b.berth(args);
  expect(r.stderr, `berth ${args.join(" ")}`).toBe("");
  expect(r.code, `berth ${args.join(" ")}`).toBe(0);
  return r.stdout;
}

/** Polls (no fixed sleeps) until `berth exec` of `cmd` succeeds. */
/** Where a volume keeps its data (BERTH_HOME/volumes/<id>/_data: by id, not name). */
const volumeData = async (name: string) => (JSON.parse(await ok(["volume", "inspect", name])) as { Mountpoint: string }[])[0]!.Mountpoint;

async function until(container: string, cmd: string): Promise<void> {
  const end = Date.now() + 60_000;
  while ((await b.berth(["exec", container, "sh", "-c", cmd])).code !== 0) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${cmd}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const TRAPS = "mkdir -p /tmp && ln -s / /tmp/evil && ln -s ../../../../../.. /tmp/evil2";

function tree(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String).sort();
}

describe("cp on a running container", () => {
  let id: string;
  beforeAll(async () => {
    id = (await ok(["run", "-d", "-v", "cpvol:/vol", "busybox", "sh", "-c", `${TRAPS}; mkdir -p /src/sub && echo one > /src/a && echo two > /src/sub/b && touch /ready; sleep 600`])).trim();
    await until(id, "test -f /ready");
  }, 120_000);
  afterAll(async () => {
    if (id) await b.berth(["rm", "-f", id]);
  });

  it("copies a file and a directory in and out, with Docker's path rules", async () => {
    fs.writeFileSync(path.join(work, "in.txt"), "payload\n");
    await ok(["cp", path.join(work, "in.txt"), `${id}:/tmp/`]);
    await ok(["cp", path.join(work, "in.txt"), `${id}:/tmp/renamed.txt`]);
    expect(await ok(["exec", id, "cat", "/tmp/in.txt", "/tmp/renamed.txt"])).toBe("payload\npayload\n");

    fs.mkdirSync(path.join(work, "d/e"), { recursive: true });
    fs.writeFileSync(path.join(work, "d/e/f"), "deep\n");
    await ok(["cp", path.join(work, "d"), `${id}:/tmp`]); // into an existing dir: /tmp/d
    await ok(["cp", path.join(work, "d"), `${id}:/newdir`]); // a missing dest: the dir becomes /newdir
    await ok(["cp", `${path.join(work, "d")}/.`, `${id}:/tmp/`]); // contents only: /tmp/e
    expect(await ok(["exec", id, "cat", "/tmp/d/e/f", "/newdir/e/f", "/tmp/e/f"])).toBe("deep\ndeep\ndeep\n");

    const out = path.join(work, "out1");
    await ok(["cp", `${id}:/src`, out]); // missing local dest: the dir becomes out1
    expect(tree(out)).toEqual(["a", "sub", "sub/b"]);
    fs.mkdirSync(path.join(work, "out2"));
    await ok(["cp", `${id}:/src`, path.join(work, "out2")]); // existing dir: out2/src
    expect(fs.readFileSync(path.join(work, "out2/src/sub/b"), "utf8")).toBe("two\n");
    await ok(["cp", `${id}:/src/a`, path.join(work, "a-copy")]);
    expect(fs.readFileSync(path.join(work, "a-copy"), "utf8")).toBe("one\n");
    const missing = await b.berth(["cp", `${id}:/no/such`, work]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Could not find the file /no/such");
  });

  it("- streams a tar: out to stdout, in from stdin", async () => {
    const env = { ...process.env, BERTH_URL: b.url, BERTH_TOKEN: b.token };
    const cli = path.join(ROOT, "cli/bin/berth.js");
    const out = await run("sh", ["-c", `node ${cli} cp ${id}:/src - | tar -tf -`], { env, timeoutMs: 60_000 });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout.split("\n").filter(Boolean).sort()).toEqual(["src/", "src/a", "src/sub/", "src/sub/b"]);
    fs.mkdirSync(path.join(work, "t/in"), { recursive: true });
    fs.writeFileSync(path.join(work, "t/in/s.txt"), "streamed\n");
    const put = await run("sh", ["-c", `tar -cf - -C ${path.join(work, "t")} in | node ${cli} cp - ${id}:/tmp`], { env, timeoutMs: 60_000 });
    expect(put.code, put.stderr).toBe(0);
    expect(await ok(["exec", id, "cat", "/tmp/in/s.txt"])).toBe("streamed\n");
  });

  it("writes into a volume mounted in the container land in the volume", async () => {
    fs.writeFileSync(path.join(work, "v.txt"), "to-volume\n");
    await ok(["cp", path.join(work, "v.txt"), `${id}:/vol/v.txt`]);
    expect(fs.readFileSync(path.join(await volumeData("cpvol"), "v.txt"), "utf8")).toBe("to-volume\n");
  });

  it("a symlink to / or ../../.. in the container never leads a write or a read to the host", async () => {
    const name = `pwned-${randomBytes(6).toString("hex")}`;
    fs.writeFileSync(path.join(work, name), "evil\n");
    await ok(["cp", path.join(work, name), `${id}:/tmp/evil/etc/${name}`]);
    await ok(["cp", path.join(work, name), `${id}:/tmp/evil2/etc/${name}-2`]);
    await ok(["cp", path.join(work, name), `${id}:/tmp/evil2/../../${name}-3`]);
    expect(fs.existsSync(`/etc/${name}`)).toBe(false);
    expect(fs.existsSync(`/etc/${name}-2`)).toBe(false);
    expect(fs.existsSync(`/${name}-3`)).toBe(false);
    expect(await ok(["exec", id, "cat", `/etc/${name}`, `/etc/${name}-2`, `/${name}-3`])).toBe("evil\nevil\nevil\n");

    // Reading through a link to a host-only path finds nothing: the container has no such file.
    fs.writeFileSync(path.join(work, "host-secret"), "secret\n");
    await ok(["exec", id, "ln", "-s", path.join(work, "host-secret"), "/tmp/hostlink"]);
    for (const src of ["/tmp/hostlink/", `/tmp/evil${work}/host-secret`, `/tmp/evil2${work}/host-secret`]) {
      const r = await b.berth(["cp", `${id}:${src}`, path.join(work, "leak")]);
      expect(r.code, src).toBe(1);
      expect(r.stderr, src).toContain("Could not find the file");
      expect(fs.existsSync(path.join(work, "leak"))).toBe(false);
    }
    // Copying the link itself gives the link, not its target.
    await ok(["cp", `${id}:/tmp/hostlink`, path.join(work, "link-copy")]);
    expect(fs.lstatSync(path.join(work, "link-copy")).isSymbolicLink()).toBe(true);
  });
});

describe("cp and diff on a stopped container", () => {
  it("writes to a volume's path of a container that is not running land in the volume", async () => {
    const id = (await ok(["create", "-v", "stopvol:/vol", "-v", `${work}:/hostro:ro`, "busybox", "true"])).trim();
    fs.writeFileSync(path.join(work, "to-vol"), "v\n");
    await ok(["cp", path.join(work, "to-vol"), `${id}:/vol/`]);
    expect(fs.readFileSync(path.join(await volumeData("stopvol"), "to-vol"), "utf8")).toBe("v\n");
    const ro = await b.berth(["cp", path.join(work, "to-vol"), `${id}:/hostro/again`]);
    expect(ro.code).toBe(1);
    expect(ro.stderr).toContain("read-only file system");
    expect(fs.existsSync(path.join(work, "again"))).toBe(false);
    expect(fs.readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(`${b.home}/containers/${id}/fs-`);
    await ok(["rm", id]);
  });

  it("reads the merged view, writes into its own layer, resolves links inside it; diff lists A/C/D", async () => {
    const id = (await ok(["run", "--name", "stopped", "busybox", "sh", "-c", `${TRAPS}; echo added > /added; echo changed >> /etc/passwd; rm /etc/group`])).trim() || "stopped";
    await ok(["cp", "stopped:/added", path.join(work, "added")]);
    expect(fs.readFileSync(path.join(work, "added"), "utf8")).toBe("added\n");
    await ok(["cp", "stopped:/bin/busybox", path.join(work, "bb")]); // from the image's layer
    expect(fs.statSync(path.join(work, "bb")).size).toBe(fs.statSync("/bin/busybox").size);
    const gone = await b.berth(["cp", "stopped:/etc/group", work]); // deleted in the container
    expect(gone.code).toBe(1);

    const name = `pwned-${randomBytes(6).toString("hex")}`;
    fs.writeFileSync(path.join(work, name), "evil\n");
    await ok(["cp", path.join(work, name), `stopped:/tmp/evil/etc/${name}`]);
    expect(fs.existsSync(`/etc/${name}`)).toBe(false);
    const containerId = (JSON.parse(await ok(["inspect", "stopped"])) as { Id: string }[])[0]!.Id;
    expect(fs.readFileSync(path.join(b.home, "containers", containerId, "upper/etc", name), "utf8")).toBe("evil\n");

    const diff = (await ok(["diff", id])).split("\n").filter(Boolean);
    expect(diff).toEqual(expect.arrayContaining(["A /added", "C /etc", "C /etc/passwd", "D /etc/group", `A /etc/${name}`, "A /tmp/evil"]));
    expect(diff.some((l) => l.startsWith("A /proc") || l.startsWith("A /dev"))).toBe(false);
    // No mount is left behind by the stopped container's cp.
    expect(fs.readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(`${b.home}/containers/${containerId}/fs-`);
    await ok(["rm", "stopped"]);
  });
});
