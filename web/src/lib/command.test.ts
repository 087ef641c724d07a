import { describe, expect, it } from "vitest";
import { parseCommand } from "./command";

describe("parseCommand (the Run form's command box)", () => {
  it("means the image default when empty", () => {
    expect(parseCommand("")).toBeUndefined();
    expect(parseCommand("   ")).toBeUndefined();
  });
  it("splits plain words on whitespace", () => {
    expect(parseCommand("echo hello-from-dashboard")).toEqual(["echo", "hello-from-dashboard"]);
    expect(parseCommand("  ls   -l /  ")).toEqual(["ls", "-l", "/"]);
  });
  it("runs text with shell syntax through sh -c", () => {
    expect(parseCommand("echo a; echo b >&2")).toEqual(["sh", "-c", "echo a; echo b >&2"]);
    expect(parseCommand("echo $HOME")).toEqual(["sh", "-c", "echo $HOME"]);
    expect(parseCommand(`echo "two words"`)).toEqual(["sh", "-c", `echo "two words"`]);
  });
});
