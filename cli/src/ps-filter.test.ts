import { describe, expect, it } from "vitest";
import type { ContainerSummary } from "./api.js";
import { matches, parseFilters, stateOf } from "./ps-filter.js";
import { cpuPercent, binarySize } from "./stats-format.js";

const c = (o: Partial<ContainerSummary>): ContainerSummary => ({
  id: "a".repeat(64),
  name: "web",
  image: "busybox:latest",
  imageId: "sha256:" + "b".repeat(64),
  cmd: [],
  state: "running",
  exitCode: null,
  oomKilled: false,
  error: null,
  createdAt: "2026-01-01T00:00:00.000Z",
  startedAt: null,
  finishedAt: null,
  paused: false,
  restartCount: 0,
  labels: {},
  ...o,
});

describe("ps filters", () => {
  it("same key: any value; different keys: all", () => {
    const f = parseFilters(["status=running", "status=exited", "name=we"]);
    expect(matches(c({}), f, [])).toBe(true);
    expect(matches(c({ state: "exited" }), f, [])).toBe(true);
    expect(matches(c({ state: "created" }), f, [])).toBe(false);
    expect(matches(c({ name: "db" }), f, [])).toBe(false);
  });
  it("paused is its own status; labels by key or key=value; ancestor by ref or id prefix", () => {
    expect(stateOf(c({ paused: true }))).toBe("paused");
    expect(matches(c({ paused: true }), parseFilters(["status=paused"]), [])).toBe(true);
    expect(matches(c({ paused: true }), parseFilters(["status=running"]), [])).toBe(false);
    const labelled = c({ labels: { app: "web", tier: "" } });
    expect(matches(labelled, parseFilters(["label=tier"]), [])).toBe(true);
    expect(matches(labelled, parseFilters(["label=app=web"]), [])).toBe(true);
    expect(matches(labelled, parseFilters(["label=app=db"]), [])).toBe(false);
    expect(matches(c({}), parseFilters(["ancestor=busybox"]), [])).toBe(true);
    expect(matches(c({}), parseFilters(["ancestor=bbbbbb"]), [])).toBe(true);
    expect(matches(c({}), parseFilters(["ancestor=debian"]), [])).toBe(false);
  });
  it("exited, before and since", () => {
    const old = c({ name: "old", id: "1".repeat(64), createdAt: "2026-01-01T00:00:00.000Z", state: "exited", exitCode: 2 });
    const mid = c({ name: "mid", id: "2".repeat(64), createdAt: "2026-01-02T00:00:00.000Z" });
    const all = [old, mid];
    expect(matches(old, parseFilters(["exited=2"]), all)).toBe(true);
    expect(matches(mid, parseFilters(["exited=2"]), all)).toBe(false);
    expect(matches(old, parseFilters(["before=mid"]), all)).toBe(true);
    expect(matches(mid, parseFilters(["since=old"]), all)).toBe(true);
    expect(() => matches(mid, parseFilters(["since=nosuch"]), all)).toThrow("No such container: nosuch");
  });
  it("refuses bad filters with docker's words", () => {
    expect(() => parseFilters(["status"])).toThrow("bad format of filter (expected name=value): status");
    expect(() => parseFilters(["colour=red"])).toThrow("invalid filter 'colour'");
    expect(() => parseFilters(["status=sleeping"])).toThrow("invalid filter 'status=sleeping'");
  });
});

describe("stats figures", () => {
  it("CPU % is CPU time over wall time between two samples; memory in binary units", () => {
    const s = { id: "x", name: "x", running: true, time: 1000, cpuNs: 0, memory: 0, memoryLimit: 0, pids: 0, netRx: 0, netTx: 0, blockRead: 0, blockWrite: 0 };
    expect(cpuPercent(undefined, s)).toBe(0);
    expect(cpuPercent(s, { ...s, time: 2000, cpuNs: 500_000_000 })).toBeCloseTo(50);
    expect(binarySize(64 * 1024 * 1024)).toBe("64MiB");
    expect(binarySize(1536)).toBe("1.5KiB");
    expect(binarySize(10)).toBe("10B");
  });
});
