import { describe, expect, it } from "vitest";
import { isInvalidArgument } from "../errors.js";
import { parseJsonc } from "./jsonc.js";

describe("parseJsonc", () => {
  it("drops line and block comments and trailing commas, and keeps what strings hold", () => {
    const text = `{
  // the image
  "image": "busybox", /* a block
  over lines */
  "url": "http://x//y/*z*/",
  "quote": "a \\"//\\" b",
  "ports": [3000, 5432,],
  "env": { "A": "1", }, // trailing
}`;
    expect(parseJsonc(text, "devcontainer.json")).toEqual({ image: "busybox", url: "http://x//y/*z*/", quote: 'a "//" b', ports: [3000, 5432], env: { A: "1" } });
  });

  it("a trailing comma before a comment and a closing bracket is dropped too", () => {
    expect(parseJsonc(`[1, 2, // two\n /* end */ ]`, "f")).toEqual([1, 2]);
  });

  it("names the file, line and column of an error", () => {
    const err = (() => {
      try {
        parseJsonc(`{\n  "a": 1\n  "b": 2\n}`, ".devcontainer/devcontainer.json");
      } catch (e) {
        return e;
      }
    })();
    expect(isInvalidArgument(err)).toBe(true);
    expect((err as Error).message).toMatch(/^\.devcontainer\/devcontainer\.json:3:\d+: not valid JSON/);
  });

  it("refuses an unclosed comment or string with where it starts", () => {
    expect(() => parseJsonc(`{ /* open`, "f")).toThrow(/^f:1:3: a \/\* comment is not closed/);
    expect(() => parseJsonc(`{ "a": "open\n}`, "f")).toThrow(/^f:1:8: a string is not closed on its line/);
  });
});
