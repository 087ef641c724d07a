import { describe, expect, it } from "vitest";
import { isInvalidArgument } from "../errors.js";
import { installOrder, unversioned, type OrderedFeature } from "./feature-order.js";

const f = (ref: string, o: Partial<OrderedFeature> = {}): OrderedFeature => ({ ref, id: ref.replace(/^.*\//, "").replace(/[:@].*$/, ""), installsAfter: [], dependsOn: [], ...o });
const refs = (fs: OrderedFeature[], override: string[] = []) => installOrder(fs, override, "devcontainer.json").map((i) => fs[i]!.ref);

describe("feature install order", () => {
  it("drops versions and digests, not registry ports", () => {
    expect(unversioned("ghcr.io/a/b/node:1")).toBe("ghcr.io/a/b/node");
    expect(unversioned("localhost:5000/f/g@sha256:abc")).toBe("localhost:5000/f/g");
    expect(unversioned("localhost:5000/f/g")).toBe("localhost:5000/f/g");
    expect(unversioned("./local/")).toBe("./local");
  });

  it("installsAfter and dependsOn put a feature after the ones it names; the others by reference, in rounds", () => {
    // b waits for a; c waits for nothing: a and c in the first round, b in the second (as the reference CLI).
    expect(refs([f("./b", { installsAfter: ["./a"] }), f("./c"), f("./a")])).toEqual(["./a", "./c", "./b"]);
    // A version in installsAfter or in the reference does not matter.
    expect(refs([f("ghcr.io/x/y/tool:2", { installsAfter: ["ghcr.io/x/y/node"] }), f("ghcr.io/x/y/node:1")])).toEqual(["ghcr.io/x/y/node:1", "ghcr.io/x/y/tool:2"]);
    expect(refs([f("ghcr.io/x/y/a:1", { dependsOn: ["ghcr.io/x/y/z:1"] }), f("ghcr.io/x/y/z:1")])).toEqual(["ghcr.io/x/y/z:1", "ghcr.io/x/y/a:1"]);
    // installsAfter a feature that is not installed is only a hint: nothing to wait for.
    expect(refs([f("./b", { installsAfter: ["ghcr.io/not/here/x"] }), f("./a")])).toEqual(["./a", "./b"]);
  });

  it("overrideFeatureInstallOrder goes first (with what its features depend on), over installsAfter", () => {
    expect(refs([f("./a"), f("./b"), f("./c")], ["./c", "./b"])).toEqual(["./c", "./b", "./a"]);
    // The user's order wins over an author's installsAfter…
    expect(refs([f("./a", { installsAfter: ["./b"] }), f("./b")], ["./a"])).toEqual(["./a", "./b"]);
    // …but not over dependsOn: the dependency comes just before, not after unlisted features.
    expect(refs([f("./a"), f("./z", { dependsOn: ["ghcr.io/d/e/dep"] }), f("ghcr.io/d/e/dep:1")], ["./z"])).toEqual(["ghcr.io/d/e/dep:1", "./z", "./a"]);
  });

  it("refuses a cycle, an override naming no feature, and a dependency missing from the set, naming them", () => {
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(isInvalidArgument(e)).toBe(true);
        return (e as Error).message;
      }
      throw new Error("no error");
    };
    expect(err(() => refs([f("./a", { installsAfter: ["./b"] }), f("./b", { installsAfter: ["./a"] })]))).toMatch(/\.\/a, \.\/b wait for each other/);
    expect(err(() => refs([f("./a")], ["./nope"]))).toMatch(/overrideFeatureInstallOrder names "\.\/nope", which is not in "features"/);
    expect(err(() => refs([f("./a", { dependsOn: ["ghcr.io/x/y/z:1"] })]))).toMatch(/\.\/a depends on ghcr\.io\/x\/y\/z:1/);
  });
});
