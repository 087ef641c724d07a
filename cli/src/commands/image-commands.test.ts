import { describe, expect, it } from "vitest";
import { buildProgram, UsageExit } from "../program.js";
import type { ImageHandlers } from "./image-commands.js";

/** Parses argv with spy handlers for the image commands; returns what each received. */
async function parse(argv: string[]) {
  const calls: Record<string, unknown> = {};
  const spy = (name: keyof ImageHandlers) => async (a?: unknown) => void (calls[name] = a ?? true);
  const names: (keyof ImageHandlers)[] = ["save", "load", "tag", "rmi", "history", "imageInspect", "imagePrune", "systemDf", "import", "export", "images"];
  const program = buildProgram({ imageCommands: Object.fromEntries(names.map((n) => [n, spy(n)])) as Partial<ImageHandlers> });
  const quiet = { writeOut: () => {}, writeErr: () => {} };
  const silence = (c: typeof program) => {
    c.configureOutput(quiet);
    c.commands.forEach(silence);
  };
  silence(program);
  let exit: number | undefined;
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (!(e instanceof UsageExit)) throw e;
    exit = e.exitCode;
  }
  return { calls, exit };
}

describe("image command parsing", () => {
  it("save and load", async () => {
    expect((await parse(["save", "-o", "x.tar", "a", "b:1"])).calls.save).toEqual({ images: ["a", "b:1"], output: "x.tar", format: "docker" });
    expect((await parse(["image", "save", "--format", "oci", "a"])).calls.save).toEqual({ images: ["a"], output: undefined, format: "oci" });
    expect((await parse(["save", "--format", "zip", "a"])).exit).toBe(125);
    expect((await parse(["save"])).exit).toBe(1);
    expect((await parse(["load", "-i", "x.tar", "-q"])).calls.load).toEqual({ input: "x.tar", quiet: true });
    expect((await parse(["image", "load"])).calls.load).toEqual({ input: undefined, quiet: false });
  });

  it("tag, rmi, history, inspect, prune, df", async () => {
    expect((await parse(["tag", "busybox", "me/bb:1"])).calls.tag).toEqual({ source: "busybox", target: "me/bb:1" });
    expect((await parse(["rmi", "-f", "a", "b"])).calls.rmi).toEqual({ images: ["a", "b"], force: true });
    expect((await parse(["image", "rm", "a"])).calls.rmi).toEqual({ images: ["a"], force: false });
    expect((await parse(["history", "--no-trunc", "a"])).calls.history).toEqual({ image: "a", noTrunc: true, quiet: false });
    expect((await parse(["image", "history", "-q", "a"])).calls.history).toEqual({ image: "a", noTrunc: false, quiet: true });
    expect((await parse(["image", "inspect", "a", "b"])).calls.imageInspect).toEqual({ images: ["a", "b"] });
    expect((await parse(["image", "prune", "-a", "-f"])).calls.imagePrune).toEqual({ all: true, force: true });
    expect((await parse(["system", "df"])).calls.systemDf).toBe(true);
    expect((await parse(["image", "ls", "-q"])).calls.images).toEqual({ quiet: true });
  });

  it("import and export", async () => {
    expect((await parse(["import", "-c", "CMD sh", "-c", "ENV A=1", "-m", "hi", "root.tar", "me/root:1"])).calls.import).toEqual({
      file: "root.tar",
      ref: "me/root:1",
      message: "hi",
      changes: ["CMD sh", "ENV A=1"],
    });
    expect((await parse(["import", "-"])).calls.import).toEqual({ file: "-", ref: undefined, message: undefined, changes: [] });
    expect((await parse(["export", "-o", "c.tar", "web"])).calls.export).toEqual({ container: "web", output: "c.tar" });
  });
});
