import { expect, it } from "vitest";
import { isInvalidArgument } from "@berth/core";
import { expand, parseDockerfile, parseKeyValues, splitWords } from "./parse.js";

it("parses stages, global ARGs, flags and exec form", () => {
  const df = parseDockerfile(`ARG V=1\nFROM busybox:\${V} AS Build\nCOPY --from=x --chown=1:2 a b /d/\nRUN echo a \\\n  && echo b\nCMD ["sh", "-c", "echo hi"]\nFROM scratch\n`);
  expect(df.globalArgs.map((a) => a.text)).toEqual(["V=1"]);
  expect(df.stages.map((s) => s.name)).toEqual(["build", undefined]);
  const [copy, run, cmd] = df.stages[0]!.steps;
  expect(copy!.flags).toEqual({ from: "x", chown: "1:2" });
  expect(copy!.text).toBe("a b /d/");
  expect(run!.line).toBe(4);
  expect(run!.text).toMatch(/^echo a\s+&& echo b$/);
  expect(cmd!.json).toEqual(["sh", "-c", "echo hi"]);
});

it("names the line of a syntax error", () => {
  const bad = ["FROM busybox\nRUN true\nFRM x\n", "RUN true\n", "FROM busybox\nCOPY\n", "FROM a AS b c\n"];
  const lines = [3, 1, 2, 1];
  for (const [i, text] of bad.entries()) {
    let err: unknown;
    try {
      parseDockerfile(text);
    } catch (e) {
      err = e;
    }
    expect(isInvalidArgument(err), text).toBe(true);
    expect((err as Error).message).toContain(`line ${lines[i]}`);
  }
});

it("splits words with quotes and expands variables like Docker", () => {
  const vars = (n: string) => ({ A: "x y", B: "" })[n];
  expect(splitWords(`a "b c" 'd e' f\\ g`)).toEqual(["a", "b c", "d e", "f g"]);
  expect(splitWords(`$A "$A" '$A' \${B:-def} \${A:+alt} \${C}`, vars)).toEqual(["x y", "x y", "$A", "def", "alt", ""]);
  expect(expand("/srv/${A}/$B", vars)).toBe("/srv/x y/");
  expect(parseKeyValues(`K=1 M="two words"`, true)).toEqual([["K", "1"], ["M", "two words"]]);
  expect(parseKeyValues(`LEGACY some value`, true)).toEqual([["LEGACY", "some value"]]);
});

it("a syntax error never carries more of the file than an instruction-like word", () => {
  // A "Dockerfile" that is really a key or a config: the error must not echo it.
  for (const text of ["AKIAIOSFODNN7EXAMPLE0123456789abcdefSECRET\n", "-----BEGIN PRIVATE KEY-----\nMIIsecret\n", "FROM busybox\nCOPY [\"secret-value\n", "FROM a secret-value b c\n"]) {
    let err: unknown;
    try {
      parseDockerfile(text);
    } catch (e) {
      err = e;
    }
    expect(isInvalidArgument(err), text).toBe(true);
    expect((err as Error).message).not.toMatch(/SECRET|secret|PRIVATE|MIIsecret/);
  }
  expect(() => parseDockerfile("FROM busybox\nFRM x\n")).toThrow(/unknown instruction: "FRM"/);
});
