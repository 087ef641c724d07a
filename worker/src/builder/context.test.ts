import { expect, it } from "vitest";
import { dockerignore } from "./context.js";
import { globRegex } from "./view.js";

it("matches .dockerignore like Docker (patterns, directories, ! exceptions)", () => {
  const ig = dockerignore("# comment\n*.log\n!keep.log\n/build\nsecret\n");
  expect(ig("a.log", false)).toBe(true);
  expect(ig("keep.log", false)).toBe(false);
  expect(ig("build", true)).toBe(true);
  expect(ig("build/x", false)).toBe(true);
  expect(ig("secret", false)).toBe(true);
  expect(ig("src/main.c", false)).toBe(false);
});

it("turns one path component's glob into a regular expression", () => {
  expect(globRegex("*.txt").test("a.txt")).toBe(true);
  expect(globRegex("*.txt").test("a.txt.bak")).toBe(false);
  expect(globRegex("file?.[ch]").test("file1.c")).toBe(true);
  expect(globRegex("[!a]*").test("abc")).toBe(false);
  expect(globRegex("a+b.(c)").test("a+b.(c)")).toBe(true);
});
