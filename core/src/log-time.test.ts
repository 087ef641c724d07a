import { describe, expect, it } from "vitest";
import { formatNs, logTime, normalizeTime, parseDurationNs, parseRfc3339Ns, parseTimeArg } from "./log-time.js";

describe("log times", () => {
  it("are fixed-width RFC 3339 with nanoseconds and strictly increasing", () => {
    const ts = Array.from({ length: 1000 }, () => logTime());
    for (const t of ts) expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect(new Set(ts).size).toBe(ts.length);
    expect([...ts].sort()).toEqual(ts);
  });

  it("formats and parses nanoseconds both ways", () => {
    const ns = 1_795_222_923_123_456_789n;
    expect(formatNs(ns)).toBe("2026-11-21T01:02:03.123456789Z");
    expect(parseRfc3339Ns("2026-11-21T01:02:03.123456789Z")).toBe(ns);
    expect(parseRfc3339Ns("2026-11-21T03:02:03.123456789+02:00")).toBe(ns);
    expect(parseRfc3339Ns("2026-11-21")).toBe(1_795_219_200_000_000_000n);
    expect(parseRfc3339Ns("soon")).toBeUndefined();
    expect(normalizeTime("2026-11-21T01:02:03.123Z")).toBe("2026-11-21T01:02:03.123000000Z");
  });

  it("reads Go durations", () => {
    expect(parseDurationNs("10m")).toBe(600_000_000_000n);
    expect(parseDurationNs("1h30m")).toBe(5_400_000_000_000n);
    expect(parseDurationNs("1.5s")).toBe(1_500_000_000n);
    expect(parseDurationNs("500ms")).toBe(500_000_000n);
    expect(parseDurationNs("10")).toBeUndefined();
    expect(parseDurationNs("m")).toBeUndefined();
  });

  it("takes --since/--until as RFC 3339, Unix seconds or a duration before now", () => {
    const now = Date.parse("2026-11-28T01:00:00Z");
    expect(parseTimeArg("--since", "2026-11-28T00:00:00Z", now)).toBe("2026-11-28T00:00:00.000000000Z");
    expect(parseTimeArg("--since", "1795222923.5", now)).toBe("2026-11-21T01:02:03.500000000Z");
    expect(parseTimeArg("--since", "1h30m", now)).toBe("2026-11-27T23:30:00.000000000Z");
    expect(() => parseTimeArg("--until", "yesterday", now)).toThrow(/invalid value "yesterday" for --until/);
  });
});
