import { describe, expect, it } from "vitest";
import { isInvalidArgument } from "@berth/core";
import { checkImage, LayerChecker, LayerEntries } from "./layer-check.js";

const check = (layers: [string, string, string?][][]) => {
  const c = new LayerChecker();
  for (const l of layers) for (const [p, t, link] of l) c.entry(p, t, link);
};
const refused = (layers: [string, string, string?][][], why: RegExp) => {
  let err: unknown;
  try {
    check(layers);
  } catch (e) {
    err = e;
  }
  expect(isInvalidArgument(err), String(err)).toBe(true);
  expect(String(err)).toMatch(why);
};

describe("LayerChecker", () => {
  it("allows ordinary layers, absolute symlink targets and whiteouts", () => {
    check([[["./bin/", "Directory"], ["bin/sh", "SymbolicLink", "/bin/busybox"], ["bin/ls", "Link", "bin/busybox"], ["etc/.wh.old", "File"], ["var/.wh..wh..opq", "File"]]]);
  });
  it("refuses a write under a symlink from an earlier layer", () => refused([[["etc", "SymbolicLink", "/x"]], [["etc/passwd", "File"]]], /through the symlink "etc"/));
  it("refuses a whiteout under a symlink", () => refused([[["etc", "SymbolicLink", "/x"]], [["etc/.wh.passwd", "File"]]], /symlink/));
  it("refuses an opaque marker in a symlinked dir", () => refused([[["etc", "SymbolicLink", "/x"], ["etc/.wh..wh..opq", "File"]]], /symlink/));
  it("forgets a symlink once replaced by a directory or whited out", () => {
    check([[["etc", "SymbolicLink", "/x"]], [["etc", "Directory"], ["etc/passwd", "File"]]]);
    check([[["a/b", "SymbolicLink", "/x"]], [["a/.wh.b", "File"]], [["a/b/c", "File"]]]);
    check([[["a/b", "SymbolicLink", "/x"]], [["a/.wh..wh..opq", "File"]], [["a/b/c", "File"]]]);
  });
  it("refuses .. in paths and hard link targets", () => {
    refused([[["a/../../x", "File"]]], /\.\./);
    refused([[["x", "Link", "../etc/shadow"]]], /\.\./);
  });
  it("refuses a hard link whose target's path crosses a symlink of this layer or one below", () => {
    refused([[["evil", "SymbolicLink", "/host/dir"], ["leak", "Link", "evil/secret"]]], /"leak" is a hard link to "evil\/secret", whose path crosses the symlink "evil"/);
    refused([[["d/", "Directory"], ["d/up", "SymbolicLink", "../../.."]], [["leak", "Link", "d/up/etc/shadow"]]], /crosses the symlink "d\/up"/);
    refused([[["leak", "Link", "/etc/shadow"]]], /"leak" is a hard link to "\/etc\/shadow", an absolute path/);
    // A symlink as the link's own target is fine: the link is to the symlink itself.
    check([[["s", "SymbolicLink", "/x"], ["t", "Link", "s"]]]);
  });
});

describe("checkImage (layers streamed in parallel, checked in order afterwards)", () => {
  const entries = (l: [string, string, string?][]) => {
    const e = new LayerEntries();
    for (const [p, t, link] of l) e.entry(p, t, link);
    return e;
  };
  it("refuses a hard link through a symlink of a lower layer, naming the layer", () => {
    // Seen apart, each layer is fine; together the link crosses the lower layer's symlink.
    const layers = [entries([["evil", "SymbolicLink", "/host"]]), entries([["leak", "Link", "evil/secret"]])];
    expect(() => checkImage(layers, (i) => `layer ${i + 1} (sha256:x)`)).toThrow(/^layer 2 \(sha256:x\): layer entry "leak" is a hard link to "evil\/secret", whose path crosses the symlink "evil"/);
  });
  it("accepts links to files of lower layers, and skips layers it was not given", () => {
    checkImage([entries([["f", "File"]]), undefined, entries([["g", "Link", "f"]])], String);
  });
});
