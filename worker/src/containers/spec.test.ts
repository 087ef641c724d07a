import { expect, it } from "vitest";
import type { ImageConfig } from "@berth/core";
import { describeSpawnFailure, exitCodeOf } from "./exit-status.js";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { processFromImage, resolveUser } from "./spec.js";

const image = (config: ImageConfig["config"]): ImageConfig => ({ architecture: "amd64", os: "linux", config, rootfs: { type: "layers", diff_ids: [] } });
const id = "0123456789ab".padEnd(64, "0");

it("follows Docker's rules for entrypoint, cmd and the user's command", () => {
  expect(processFromImage(image({ Cmd: ["sh"] }), [], id).args).toEqual(["sh"]);
  expect(processFromImage(image({ Cmd: ["sh"] }), ["echo", "hi"], id).args).toEqual(["echo", "hi"]);
  expect(processFromImage(image({ Entrypoint: ["/init"], Cmd: ["--x"] }), [], id).args).toEqual(["/init", "--x"]);
  expect(processFromImage(image({ Entrypoint: ["/init"], Cmd: ["--x"] }), ["--y"], id).args).toEqual(["/init", "--y"]);
  expect(() => processFromImage(image({}), [], id)).toThrow(/no command specified/);
});

it("gives the process a PATH, HOME, HOSTNAME and the image's workdir", () => {
  const p = processFromImage(image({ Cmd: ["sh"], WorkingDir: "/app", Env: ["A=1"] }), [], id);
  expect(p.env).toContain("A=1");
  expect(p.env.some((e) => e.startsWith("PATH=/usr/local/sbin"))).toBe(true);
  expect(p.env).toContain("HOSTNAME=0123456789ab");
  expect(p.hostname).toBe("0123456789ab");
  expect(p.cwd).toBe("/app");
  expect(p.user).toBe("");
  expect(processFromImage(image({ Cmd: ["sh"], User: "app" }), [], id).user).toBe("app");
  expect(processFromImage(image({ Cmd: ["sh"], User: "app" }), [], id, "1000:1000").user).toBe("1000:1000");
});

it("resolves -u and USER against the image's /etc/passwd and /etc/group, topmost layer first", async () => {
  const top = await fs.mkdtemp(path.join(os.tmpdir(), "berth-user-"));
  const base = await fs.mkdtemp(path.join(os.tmpdir(), "berth-user-"));
  try {
    await fs.mkdir(path.join(top, "etc"));
    await fs.mkdir(path.join(base, "etc"));
    await fs.writeFile(path.join(base, "etc/passwd"), "root:x:0:0::/root:/bin/sh\nold:x:5:5::/:/bin/sh\n");
    await fs.writeFile(path.join(top, "etc/passwd"), "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n");
    await fs.writeFile(path.join(base, "etc/group"), "root:x:0:\nstaff:x:50:\n");
    const layers = [top, base];
    expect(await resolveUser("", layers)).toEqual({ uid: 0, gid: 0 });
    expect(await resolveUser("app", layers)).toEqual({ uid: 1000, gid: 1001 });
    expect(await resolveUser("app:staff", layers)).toEqual({ uid: 1000, gid: 50 });
    expect(await resolveUser("1000", layers)).toEqual({ uid: 1000, gid: 1001 });
    expect(await resolveUser("4242:7", layers)).toEqual({ uid: 4242, gid: 7 });
    await expect(resolveUser("old", layers)).rejects.toThrow(/unable to find user old/);
    await expect(resolveUser("app:nogroup", layers)).rejects.toThrow(/unable to find group nogroup/);
    // A layer whose etc is a symlink to the host's /etc is not read through.
    const evil = await fs.mkdtemp(path.join(os.tmpdir(), "berth-user-"));
    await fs.symlink("/etc", path.join(evil, "etc"));
    await expect(resolveUser("0:daemon", [evil])).rejects.toThrow(/unable to find group daemon/);
    await fs.rm(evil, { recursive: true, force: true });
  } finally {
    await fs.rm(top, { recursive: true, force: true });
    await fs.rm(base, { recursive: true, force: true });
  }
});

it("maps exit statuses and start failures to Docker's exit codes", () => {
  expect(exitCodeOf({ exitCode: 3, signal: null })).toBe(3);
  expect(exitCodeOf({ exitCode: null, signal: 9 })).toBe(137);
  expect(describeSpawnFailure({ code: "ENOENT", stage: "exec", message: "x" }, "nope").exitCode).toBe(127);
  expect(describeSpawnFailure({ code: "EACCES", stage: "exec", message: "x" }, "nope").exitCode).toBe(126);
  expect(describeSpawnFailure({ code: "EINVAL", stage: "overlay", message: "mount failed" }, "sh")).toMatchObject({ exitCode: 125 });
});
