import { describe, expect, it } from "vitest";
import { classify, failingStep, splitLines } from "./output";

describe("build output as the dashboard shows it", () => {
  it("classes the CLI's lines: step headers, CACHED, step timings, the rest", () => {
    expect(classify("Step 2/3 : RUN echo built > /built")).toBe("step");
    expect(classify(" ---> CACHED")).toBe("cached");
    expect(classify(" ---> 3f9c0a1b2c3d (1.2s)")).toBe("done");
    expect(classify(" ---> metadata (12ms)")).toBe("done");
    expect(classify("Successfully tagged app:1")).toBe("info");
    expect(classify("built")).toBe("out");
  });

  it("keeps an unfinished line until its newline comes", () => {
    const a = splitLines("", "Step 1/2 : FROM busy");
    expect(a).toEqual({ lines: [], rest: "Step 1/2 : FROM busy" });
    expect(splitLines(a.rest, "box\n ---> abc (0.1s)\n")).toEqual({ lines: ["Step 1/2 : FROM busybox", " ---> abc (0.1s)"], rest: "" });
  });

  it("names the failing step and the Dockerfile line the error gives", () => {
    const lines = ["Step 1/3 : FROM busybox", "Step 3/3 : RUN exit 3"].map((text) => ({ text, kind: classify(text) }));
    expect(failingStep(lines, `The command '/bin/sh -c exit 3' returned a non-zero code: 3 (step "RUN exit 3", Dockerfile line 3)`)).toEqual({ step: "Step 3/3 : RUN exit 3", line: 3 });
    expect(failingStep([], "no such image")).toEqual({});
  });
});
