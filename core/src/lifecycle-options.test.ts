import { describe, expect, it } from "vitest";
import { ContainerOptions } from "./container-options.js";
import { nextRestartDelay, parseRestartPolicy, shouldRestart } from "./lifecycle-options.js";

describe("parseRestartPolicy", () => {
  it("reads Docker's syntax", () => {
    expect(parseRestartPolicy("no")).toEqual({ name: "no", maximumRetryCount: 0 });
    expect(parseRestartPolicy("always")).toEqual({ name: "always", maximumRetryCount: 0 });
    expect(parseRestartPolicy("unless-stopped")).toEqual({ name: "unless-stopped", maximumRetryCount: 0 });
    expect(parseRestartPolicy("on-failure")).toEqual({ name: "on-failure", maximumRetryCount: 0 });
    expect(parseRestartPolicy("on-failure:3")).toEqual({ name: "on-failure", maximumRetryCount: 3 });
  });
  it("refuses what Docker refuses, naming the policy", () => {
    expect(() => parseRestartPolicy("sometimes")).toThrow(/invalid restart policy "sometimes"/);
    expect(() => parseRestartPolicy("always:2")).toThrow(/cannot be used with restart policy 'always'/);
    expect(() => parseRestartPolicy("on-failure:x")).toThrow(/whole number/);
    expect(() => parseRestartPolicy("on-failure:1:2")).toThrow(/invalid restart policy/);
  });
});

describe("shouldRestart", () => {
  const end = (exitCode: number, restartCount = 0, manuallyStopped = false, daemonStart = false) => ({ exitCode, restartCount, manuallyStopped, daemonStart });
  it("no: never", () => {
    expect(shouldRestart(undefined, end(1))).toBe(false);
    expect(shouldRestart({ name: "no", maximumRetryCount: 0 }, end(1))).toBe(false);
  });
  it("on-failure: non-zero exits only, within the count, never after a manual stop", () => {
    const p = { name: "on-failure" as const, maximumRetryCount: 3 };
    expect(shouldRestart(p, end(0))).toBe(false);
    expect(shouldRestart(p, end(3, 2))).toBe(true);
    expect(shouldRestart(p, end(3, 3))).toBe(false);
    expect(shouldRestart(p, end(137, 0, true))).toBe(false);
    expect(shouldRestart({ name: "on-failure", maximumRetryCount: 0 }, end(1, 1000))).toBe(true);
  });
  it("always: also after exit 0; after a manual stop only at a daemon start", () => {
    const p = { name: "always" as const, maximumRetryCount: 0 };
    expect(shouldRestart(p, end(0))).toBe(true);
    expect(shouldRestart(p, end(137, 0, true))).toBe(false);
    expect(shouldRestart(p, end(137, 0, true, true))).toBe(true);
  });
  it("unless-stopped: not after a manual stop, even at a daemon start", () => {
    const p = { name: "unless-stopped" as const, maximumRetryCount: 0 };
    expect(shouldRestart(p, end(0))).toBe(true);
    expect(shouldRestart(p, end(137, 0, true, true))).toBe(false);
  });
});

describe("nextRestartDelay", () => {
  it("starts at 100 ms, doubles, caps at a minute, resets after a 10 s run", () => {
    expect(nextRestartDelay(0, 0)).toBe(100);
    expect(nextRestartDelay(100, 50)).toBe(200);
    expect(nextRestartDelay(200, 50)).toBe(400);
    expect(nextRestartDelay(51_200, 50)).toBe(60_000);
    expect(nextRestartDelay(60_000, 50)).toBe(60_000);
    expect(nextRestartDelay(60_000, 10_000)).toBe(100);
  });
});

describe("ContainerOptions with lifecycle fields", () => {
  it("accepts them and refuses bad ones", () => {
    const o = ContainerOptions.parse({ env: ["A=1"], workdir: "/w", entrypoint: [], labels: { a: "" }, hostname: "h-1", restart: { name: "on-failure", maximumRetryCount: 2 }, stopSignal: "SIGUSR1", stopTimeout: 3 });
    expect(o.restart).toEqual({ name: "on-failure", maximumRetryCount: 2 });
    expect(ContainerOptions.safeParse({ workdir: "rel" }).success).toBe(false);
    expect(ContainerOptions.safeParse({ env: ["NOEQUALS"] }).success).toBe(false);
    expect(ContainerOptions.safeParse({ hostname: "bad_host!" }).success).toBe(false);
    expect(ContainerOptions.safeParse({ restart: { name: "always", maximumRetryCount: 2 } }).success).toBe(false);
  });
});
