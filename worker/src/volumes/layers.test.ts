import { describe, expect, it } from "vitest";
import { isFailedPrecondition } from "@berth/core";
import { MAX_LAYERS, lowerdirsOf, parseLayers, planSnapshot, unreferencedLayers, volumePaths, type Layer } from "./layers.js";

const vol = (c: string) => c.repeat(64);
const lay = (c: string) => c.repeat(32);
const SRC = vol("a");

describe("planSnapshot", () => {
  it("freezes a plain volume's directory as the first layer both read", () => {
    const plan = planSnapshot({ id: SRC, name: "src", layers: [], upperEmpty: false }, lay("1"));
    const layer = { id: lay("1"), origin: SRC };
    expect(plan).toEqual({ freeze: { layer, from: "data" }, source: [layer], snapshot: [layer] });
  });

  it("freezes a written layered volume's upper on top of its layers", () => {
    const old: Layer[] = [{ id: lay("1"), origin: vol("b") }];
    const plan = planSnapshot({ id: SRC, name: "src", layers: old, upperEmpty: false }, lay("2"));
    expect(plan.freeze).toEqual({ layer: { id: lay("2"), origin: SRC }, from: "upper" });
    expect(plan.source.map((l) => l.id)).toEqual([lay("2"), lay("1")]);
    expect(plan.snapshot).toEqual(plan.source);
  });

  it("shares the layers as they are when nothing was written since the last freeze (the chain does not grow)", () => {
    const old: Layer[] = [{ id: lay("1"), origin: SRC }];
    expect(planSnapshot({ id: SRC, name: "src", layers: old, upperEmpty: true }, lay("2"))).toEqual({ source: old, snapshot: old });
  });

  it("refuses to stack past MAX_LAYERS, saying what to do", () => {
    const full: Layer[] = Array.from({ length: MAX_LAYERS }, (_, i) => ({ id: i.toString(16).padStart(32, "0"), origin: SRC }));
    let err: unknown;
    try {
      planSnapshot({ id: SRC, name: "deep", layers: full, upperEmpty: false }, lay("f"));
    } catch (e) {
      err = e;
    }
    expect(isFailedPrecondition(err)).toBe(true);
    expect((err as Error).message).toMatch(/cannot snapshot deep: it already stacks 16 frozen layers/);
    // Unwritten since its last freeze: no new layer, so still allowed.
    expect(planSnapshot({ id: SRC, name: "deep", layers: full, upperEmpty: true }, lay("f")).snapshot).toHaveLength(MAX_LAYERS);
  });
});

describe("parseLayers", () => {
  it("reads the stored list and refuses a corrupt one instead of treating it as plain", () => {
    expect(parseLayers("[]")).toEqual([]);
    expect(parseLayers(JSON.stringify([{ id: lay("1"), origin: SRC }]))).toEqual([{ id: lay("1"), origin: SRC }]);
    expect(() => parseLayers(JSON.stringify([{ id: "../../etc", origin: SRC }]))).toThrow(/layer list is not valid/);
    expect(() => parseLayers("{}")).toThrow(/layer list is not valid/);
  });
});

describe("paths", () => {
  it("keeps a volume's pieces under its id and layers under layers/, topmost first", () => {
    expect(volumePaths("/h/volumes", SRC)).toEqual({ root: `/h/volumes/${SRC}`, data: `/h/volumes/${SRC}/_data`, upper: `/h/volumes/${SRC}/upper`, work: `/h/volumes/${SRC}/work` });
    expect(lowerdirsOf("/h/volumes", [{ id: lay("2"), origin: SRC }, { id: lay("1"), origin: SRC }])).toEqual([`/h/volumes/layers/${lay("2")}`, `/h/volumes/layers/${lay("1")}`]);
  });
});

describe("unreferencedLayers", () => {
  it("deletes only layer directories no volume lists and no snapshot in progress froze", () => {
    const present = [lay("1"), lay("2"), lay("3"), lay("4"), "not-a-layer"];
    const lists = [[{ id: lay("1"), origin: SRC }], [{ id: lay("2"), origin: SRC }, { id: lay("1"), origin: SRC }]];
    expect(unreferencedLayers(present, lists, [lay("3")])).toEqual([lay("4")]);
  });
});
