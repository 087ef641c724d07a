/**
 * `berth commit` against a real Berth: a container's changes (a new file, a deleted image file,
 * so a whiteout) become a layer on top of its image; `berth run` of the result sees them, the
 * config carries the changes, and `history` shows the commit with its message.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chainIds, digestHex } from "@berth/core";
import { getXattr, listXattrs, setXattr } from "@berth/native";
import { startInstance, type Instance } from "./harness.js";

let b: Instance;
beforeAll(async () => {
  b = await startInstance();
});
afterAll(async () => {
  await b?.stop();
});

const ok = async (args: string[]) => {
  const r = await b.berth(args, { timeoutMs: 120_000 });
  expect(r.code, `berth ${args.join(" ")}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
};

describe("commit", () => {
  it("turns a container's changes into a new image that runs", async () => {
    await ok(["run", "--name", "to-commit", "busybox", "sh", "-c", "mkdir -p /data && echo committed > /data/new.txt && rm /etc/group"]);
    const c = await ok(["commit", "-m", "add new.txt, drop group", "-c", "ENV FROM_COMMIT=yes", "-c", 'CMD ["cat", "/data/new.txt"]', "to-commit", "team/committed:v1"]);
    const id = c.stdout.trim();
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);

    const seen = await ok(["run", "--rm", "team/committed:v1", "sh", "-c", "cat /data/new.txt; test -e /etc/group && echo group-present || echo group-gone; echo env=$FROM_COMMIT; test -e /etc/passwd && echo passwd-present"]);
    expect(seen.stdout.split("\n")).toEqual(["committed", "group-gone", "env=yes", "passwd-present", ""]);
    // The CMD change is the new default command.
    expect((await ok(["run", "--rm", "team/committed:v1"])).stdout).toBe("committed\n");

    const [img] = JSON.parse((await ok(["image", "inspect", "team/committed:v1"])).stdout);
    const [base] = JSON.parse((await ok(["image", "inspect", "busybox"])).stdout);
    expect(img.Id).toBe(id);
    expect(img.RootFS.Layers).toEqual([...base.RootFS.Layers, expect.stringMatching(/^sha256:/)]);
    expect(img.Config.Env).toEqual(expect.arrayContaining([...base.Config.Env, "FROM_COMMIT=yes"]));

    const hist = (await ok(["history", "--no-trunc", "team/committed:v1"])).stdout;
    const lines = hist.trim().split("\n");
    expect(lines[1]).toMatch(new RegExp(`^${id}\\s.*berth commit to-commit.*add new\\.txt, drop group`));
    expect(lines).toHaveLength(3); // header, the commit, busybox's own layer
  });

  it("commits untagged without a name, and refuses an unknown container or a bad change", async () => {
    await ok(["run", "--name", "plain", "busybox", "true"]);
    expect((await ok(["commit", "plain"])).stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    const missing = await b.berth(["commit", "no-such-container", "x:1"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/No such container/);
    const bad = await b.berth(["commit", "-c", "RUN true", "plain", "x:1"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/"RUN" is not supported by commit/);
  });

  it("keeps extended attributes of the container's files: file capabilities and user.* (not overlay's own)", async () => {
    // busybox has no setfattr/setcap: the attributes go on the container's upper dir from the host.
    await ok(["run", "--name", "with-xattrs", "busybox", "sh", "-c", "mkdir -p /opt && cp /bin/busybox /opt/tool && echo data > /opt/data"]);
    const [c] = JSON.parse((await ok(["inspect", "with-xattrs"])).stdout) as { Id: string }[];
    const upper = path.join(b.home, "containers", c!.Id, "upper");
    expect(fs.existsSync(path.join(upper, "opt/tool")), `upper dir of the container at ${upper}`).toBe(true);
    const cap = Buffer.from("0100000200040000000000000000000000000000", "hex"); // cap_net_bind_service+ep
    setXattr(path.join(upper, "opt/tool"), "security.capability", cap);
    setXattr(path.join(upper, "opt/data"), "user.origin", "the host");
    await ok(["commit", "with-xattrs", "team/xattrs:1"]);

    // A container of the new image unpacks its layers: the snapshot of the top one has them.
    expect((await ok(["run", "--rm", "team/xattrs:1", "cat", "/opt/data"])).stdout).toBe("data\n");
    const [img] = JSON.parse((await ok(["image", "inspect", "team/xattrs:1"])).stdout) as { RootFS: { Layers: string[] } }[];
    const top = path.join(b.home, "snapshots", digestHex(chainIds(img!.RootFS.Layers).at(-1)!), "fs");
    expect(getXattr(path.join(top, "opt/tool"), "security.capability").equals(cap)).toBe(true);
    expect(getXattr(path.join(top, "opt/data"), "user.origin").toString()).toBe("the host");
    expect(listXattrs(path.join(top, "opt")).filter((n) => n.startsWith("trusted.overlay."))).toEqual([]);
  });
});
