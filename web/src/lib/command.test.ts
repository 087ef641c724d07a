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
  it("takes an explicit sh -c '…' as it is, without a second shell around it", () => {
    expect(parseCommand("sh -c 'echo a; exit 2'")).toEqual(["sh", "-c", "echo a; exit 2"]);
    expect(parseCommand(`/bin/sh -c "echo \\"hi\\""`)).toEqual(["/bin/sh", "-c", `echo "hi"`]);
    // Not a single quoted script: the whole line goes to a shell as before.
    expect(parseCommand("sh -c 'echo a' && echo b")).toEqual(["sh", "-c", "sh -c 'echo a' && echo b"]);
  });
});
