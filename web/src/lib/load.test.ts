import { describe, expect, it } from "vitest";
import { loadView } from "./load";

describe("loadView", () => {
  it("shows a load past the CPU count as the load and a full meter, never a percentage past 100", () => {
    const v = loadView(32.44, 2);
    expect(v.value).toBe("32.4");
    expect(v.hint).toBe("on 2 CPUs: 16.2 per CPU, overloaded");
    expect(v.ratio).toBe(1);
    expect(v.overloaded).toBe(true);
    expect(`${v.value} ${v.hint}`).not.toMatch(/%/);
  });

  it("fills the meter by load per CPU when the host keeps up", () => {
    const v = loadView(0.5, 2);
    expect(v).toEqual({ value: "0.5", hint: "on 2 CPUs", ratio: 0.25, overloaded: false });
    expect(loadView(1, 1).hint).toBe("on 1 CPU");
  });
});
