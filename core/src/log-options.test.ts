import { describe, expect, it } from "vitest";
import { ContainerOptions } from "./container-options.js";
import { logConfigOf, parseLogFlags, parseLogSize } from "./log-options.js";

describe("--log-opt", () => {
  it("reads max-size in docker's decimal units and max-file as a count", () => {
    expect(parseLogSize("10m")).toBe(10_000_000);
    expect(parseLogSize("1.5k")).toBe(1500);
    expect(parseLogSize("2048")).toBe(2048);
    expect(parseLogFlags(undefined, ["max-size=10m", "max-file=3"])).toEqual({ logOpts: { maxSize: 10_000_000, maxFile: 3 } });
    expect(parseLogFlags("json-file", [])).toEqual({ logDriver: "json-file" });
  });

  it("refuses bad values naming the option", () => {
    expect(() => parseLogFlags(undefined, ["max-file=0"])).toThrow("max-file cannot be less than 1");
    expect(() => parseLogFlags(undefined, ["max-file=three"])).toThrow('invalid max-file "three"');
    expect(() => parseLogFlags(undefined, ["max-size=0"])).toThrow("max-size must be a positive number");
    expect(() => parseLogFlags(undefined, ["max-size=huge"])).toThrow('invalid max-size "huge"');
    expect(() => parseLogFlags(undefined, ["mode=non-blocking"])).toThrow("unknown log opt 'mode'");
    expect(() => parseLogFlags(undefined, ["max-size"])).toThrow('invalid --log-opt "max-size"');
    expect(() => parseLogFlags("syslog", [])).toThrow('unsupported log driver "syslog"');
    expect(() => parseLogFlags("none", ["max-size=1m"])).toThrow("takes no --log-opt");
  });

  it("is part of the container options and read back with defaults", () => {
    const o = ContainerOptions.parse({ logDriver: "json-file", logOpts: { maxSize: 1000, maxFile: 2 } });
    expect(logConfigOf(JSON.stringify(o))).toEqual({ driver: "json-file", maxSize: 1000, maxFile: 2 });
    expect(logConfigOf("{}")).toEqual({ driver: "json-file", maxFile: 1 });
    expect(logConfigOf("not json")).toEqual({ driver: "json-file", maxFile: 1 });
    expect(() => ContainerOptions.parse({ logOpts: { maxFile: 0 } })).toThrow();
  });
});
