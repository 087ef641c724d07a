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
