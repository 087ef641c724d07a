import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";

describe("BERTH_ALLOW_CONTAINER_CONTROL_PLANE", () => {
  it("is off unless the site admin turns it on", () => {
    expect(loadConfig({}).allowContainerControlPlane).toBe(false);
    expect(loadConfig({ BERTH_ALLOW_CONTAINER_CONTROL_PLANE: "" }).allowContainerControlPlane).toBe(false);
    expect(loadConfig({ BERTH_ALLOW_CONTAINER_CONTROL_PLANE: "0" }).allowContainerControlPlane).toBe(false);
    expect(loadConfig({ BERTH_ALLOW_CONTAINER_CONTROL_PLANE: "1" }).allowContainerControlPlane).toBe(true);
    expect(loadConfig({ BERTH_ALLOW_CONTAINER_CONTROL_PLANE: "true" }).allowContainerControlPlane).toBe(true);
  });

  it("refuses anything else, saying what it takes", () => {
    expect(() => loadConfig({ BERTH_ALLOW_CONTAINER_CONTROL_PLANE: "yes please" })).toThrow(/BERTH_ALLOW_CONTAINER_CONTROL_PLANE: 1 or true/);
  });
});

describe("BERTH_EDGE_LOOPS", () => {
  it("is the fast path's default unless set, and takes a number of loops", () => {
    expect(loadConfig({}).edgeLoops).toBeUndefined();
    expect(loadConfig({ BERTH_EDGE_LOOPS: "4" }).edgeLoops).toBe(4);
  });

  it("refuses what is not a whole number from 1 to 256, saying so", () => {
    expect(() => loadConfig({ BERTH_EDGE_LOOPS: "0" })).toThrow(/BERTH_EDGE_LOOPS: at least 1 event loop/);
    expect(() => loadConfig({ BERTH_EDGE_LOOPS: "1.5" })).toThrow(/BERTH_EDGE_LOOPS: a whole number of event loops/);
    expect(() => loadConfig({ BERTH_EDGE_LOOPS: "many" })).toThrow(/BERTH_EDGE_LOOPS: a whole number of event loops/);
  });
});

describe("BERTH_UPLOAD_IDLE_TIMEOUT_MS", () => {
  it("abandons an idle registry upload after minutes by default, not a day; a number of ms sets it", () => {
    expect(loadConfig({}).uploadIdleTimeoutMs).toBe(15 * 60_000);
    expect(loadConfig({ BERTH_UPLOAD_IDLE_TIMEOUT_MS: "3000" }).uploadIdleTimeoutMs).toBe(3000);
    expect(() => loadConfig({ BERTH_UPLOAD_IDLE_TIMEOUT_MS: "10" })).toThrow(/BERTH_UPLOAD_IDLE_TIMEOUT_MS/);
  });
});
