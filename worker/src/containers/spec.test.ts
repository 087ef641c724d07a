import { expect, it } from "vitest";
import type { ImageConfig } from "@berth/core";
import { describeSpawnFailure, exitCodeOf } from "./exit-status.js";
import { processFromImage } from "./spec.js";

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
  expect(p.uid).toBe(0);
});

it("maps exit statuses and start failures to Docker's exit codes", () => {
  expect(exitCodeOf({ exitCode: 3, signal: null })).toBe(3);
  expect(exitCodeOf({ exitCode: null, signal: 9 })).toBe(137);
  expect(describeSpawnFailure({ code: "ENOENT", stage: "exec", message: "x" }, "nope").exitCode).toBe(127);
  expect(describeSpawnFailure({ code: "EACCES", stage: "exec", message: "x" }, "nope").exitCode).toBe(126);
  expect(describeSpawnFailure({ code: "EINVAL", stage: "overlay", message: "mount failed" }, "sh")).toMatchObject({ exitCode: 125 });
});
