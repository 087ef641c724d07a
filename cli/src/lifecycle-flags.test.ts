import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { lifecycleOptionsFrom, parseEnvFileText, parseLabels, resolveEnvFlag } from "./lifecycle-flags.js";

const env = (vars: Record<string, string>) => (k: string) => vars[k];

describe("env flags", () => {
  it("-e KEY=VAL as given; -e KEY from this environment, dropped when unset", () => {
    expect(resolveEnvFlag("A=1=2", env({}))).toBe("A=1=2");
    expect(resolveEnvFlag("HOME", env({ HOME: "/h" }))).toBe("HOME=/h");
    expect(resolveEnvFlag("NOPE", env({}))).toBeUndefined();
    expect(() => resolveEnvFlag("=x", env({}))).toThrow(/no name/);
  });
  it("env files: comments and blank lines skipped, KEY=VAL kept as is, KEY looked up", () => {
    const text = "# c\n\n  A=1 \nB\nC\nD=\n";
    expect(parseEnvFileText(text, "f", env({ B: "b" }))).toEqual(["A=1 ", "B=b", "D="]);
    expect(() => parseEnvFileText("BAD KEY=1\n", "f", env({}))).toThrow("f:1: variable 'BAD KEY' contains whitespaces");
  });
});

describe("lifecycleOptionsFrom", () => {
  it("maps every flag; env files first, then -e; label files then -l", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-flags-unit-"));
    try {
      fs.writeFileSync(path.join(dir, "env"), "A=file\nB=file\n");
      fs.writeFileSync(path.join(dir, "labels"), "x=1\n# no\ny\n");
      const o = await lifecycleOptionsFrom(
        {
          envFile: [path.join(dir, "env")],
          env: ["A=flag"],
          workdir: "/w",
          entrypoint: "",
          labelFile: [path.join(dir, "labels")],
          label: ["x=2"],
          hostname: "h",
          restart: "on-failure:2",
          stopSignal: "USR1",
          stopTimeout: "7",
        },
        env({}),
      );
      expect(o).toEqual({
        env: ["A=file", "B=file", "A=flag"],
        workdir: "/w",
        entrypoint: [],
        labels: { x: "2", y: "" },
        hostname: "h",
        restart: { name: "on-failure", maximumRetryCount: 2 },
        stopSignal: "USR1",
        stopTimeout: 7,
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  it("names the flag of a bad value", async () => {
    await expect(lifecycleOptionsFrom({ stopTimeout: "soon" })).rejects.toThrow(/--stop-timeout/);
    await expect(lifecycleOptionsFrom({ workdir: "rel" })).rejects.toThrow(/--workdir/);
    await expect(lifecycleOptionsFrom({ labelFile: ["/nonexistent/x"] })).rejects.toThrow(/--label-file: cannot read/);
    expect(parseLabels(["k=v=w"])).toEqual({ k: "v=w" });
  });
  it("--restart no is the default (nothing sent)", async () => {
    expect(await lifecycleOptionsFrom({ restart: "no" })).toEqual({});
  });
});
