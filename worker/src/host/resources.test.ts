import os from "node:os";
import { describe, expect, it } from "vitest";
import { HostResources } from "@berth/core";
import { sampleResources } from "./resources.js";

describe("sampleResources", () => {
  it("reads this machine's CPUs, memory and the disk holding the directory, and a CPU share from the second sample on", async () => {
    const first = await sampleResources(os.tmpdir());
    expect(HostResources.parse(first.sample)).toEqual(first.sample);
    expect(first.sample.cpuUsage).toBeNull();
    expect(first.sample.cpus).toBe(os.cpus().length);
    expect(first.sample.memAvailable).toBeGreaterThan(0);
    expect(first.sample.memAvailable).toBeLessThanOrEqual(first.sample.memTotal);
    expect(first.sample.diskFree).toBeLessThanOrEqual(first.sample.diskTotal);
    expect(first.sample.diskTotal).toBeGreaterThan(0);
    // Busy work between the samples, so the share is measured over a real interval.
    let x = 0;
    for (let i = 0; i < 5e6; i++) x += i % 7;
    expect(x).toBeGreaterThan(0);
    const second = await sampleResources(os.tmpdir(), first.cpu);
    expect(second.sample.cpuUsage).not.toBeNull();
    expect(second.sample.cpuUsage!).toBeGreaterThanOrEqual(0);
    expect(second.sample.cpuUsage!).toBeLessThanOrEqual(1);
  });

  it("fails with the path when the directory is missing", async () => {
    await expect(sampleResources("/nonexistent/berth-home")).rejects.toMatchObject({ code: "ENOENT", path: "/nonexistent/berth-home" });
  });
});
