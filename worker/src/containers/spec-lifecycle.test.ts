import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import type { ImageConfig } from "@berth/core";
import { ensureWorkdir, processFromImage } from "./spec.js";

const image = (config: ImageConfig["config"]): ImageConfig => ({ architecture: "amd64", os: "linux", config, rootfs: { type: "layers", diff_ids: [] } });
const id = "0123456789ab".padEnd(64, "0");

it("--entrypoint replaces ENTRYPOINT and drops CMD; [] clears it", () => {
  const img = image({ Entrypoint: ["/init"], Cmd: ["--x"] });
  expect(processFromImage(img, [], id, undefined, { entrypoint: ["sh"] }).args).toEqual(["sh"]);
  expect(processFromImage(img, ["-c", "true"], id, undefined, { entrypoint: ["sh"] }).args).toEqual(["sh", "-c", "true"]);
  expect(processFromImage(img, ["echo", "hi"], id, undefined, { entrypoint: [] }).args).toEqual(["echo", "hi"]);
  expect(() => processFromImage(img, [], id, undefined, { entrypoint: [] })).toThrow(/no command specified/);
});

it("-e replaces the image's entries in place, -w and -h replace workdir and hostname", () => {
  const p = processFromImage(image({ Cmd: ["sh"], Env: ["PATH=/bin", "A=image", "B=image"], WorkingDir: "/app" }), [], id, undefined, {
    env: ["A=user", "C=new"],
    workdir: "/data",
    hostname: "web-1",
  });
  expect(p.env).toEqual(["PATH=/bin", "A=user", "B=image", "C=new", "HOSTNAME=web-1", "HOME=/root"]);
  expect(p.cwd).toBe("/data");
  expect(p.hostname).toBe("web-1");
  // The user's HOME and HOSTNAME win over the defaults.
  expect(processFromImage(image({ Cmd: ["sh"] }), [], id, undefined, { env: ["HOME=/h", "HOSTNAME=x"] }).env).toEqual(expect.arrayContaining(["HOME=/h", "HOSTNAME=x"]));
});

it("ensureWorkdir makes a missing -w in the upper dir, keeps existing ones, refuses files and symlinks", async () => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "berth-workdir-"));
  try {
    const upper = path.join(tmp, "upper");
    const lower = path.join(tmp, "lower");
    await fs.mkdir(path.join(lower, "srv"), { recursive: true });
    await fs.mkdir(upper);
    await fs.writeFile(path.join(lower, "file"), "x");
    await fs.symlink("/etc", path.join(lower, "link"));
    await ensureWorkdir("/srv/app/data", upper, [lower]);
    expect((await fs.stat(path.join(upper, "srv/app/data"))).isDirectory()).toBe(true);
    await ensureWorkdir("/srv", upper, [lower]);
    await expect(ensureWorkdir("/file/x", upper, [lower])).rejects.toThrow("/file is not a directory");
    await expect(ensureWorkdir("/link/x", upper, [lower])).rejects.toThrow("/link is not a directory");
    await expect(fs.stat(path.join(upper, "link"))).rejects.toThrow();
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
});
