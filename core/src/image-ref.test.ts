import { expect, it } from "vitest";
import { formatImageRef, parseImageRef } from "./image-ref.js";
import { chainIds, sha256 } from "./digest.js";
import { loadConfig } from "./config.js";

it("parses image references as Docker does", () => {
  expect(parseImageRef("busybox")).toEqual({ name: "busybox", tag: "latest" });
  expect(parseImageRef("library/busybox:1.36")).toEqual({ name: "busybox", tag: "1.36" });
  expect(parseImageRef("team/app:v2")).toEqual({ name: "team/app", tag: "v2" });
  const d = `sha256:${"a".repeat(64)}`;
  expect(parseImageRef(`app@${d}`)).toEqual({ name: "app", tag: "latest", digest: d });
  expect(formatImageRef(parseImageRef("busybox"))).toBe("busybox:latest");
});

it("rejects malformed references with the reason", () => {
  expect(() => parseImageRef("Busybox")).toThrow(/lowercase/);
  expect(() => parseImageRef("app:bad tag")).toThrow(/bad tag/);
  expect(() => parseImageRef("app@sha256:123")).toThrow(/digest/);
});

it("computes OCI chain ids", () => {
  const a = sha256("a");
  const b = sha256("b");
  expect(chainIds([a])).toEqual([a]);
  expect(chainIds([a, b])).toEqual([a, sha256(`${a} ${b}`)]);
});

it("validates configuration once, with defaults and clear errors", () => {
  const c = loadConfig({});
  expect(c.home).toBe("/var/lib/berth");
  expect(c.port).toBe(3000);
  expect(c.databaseUrl).toBe("file:/var/lib/berth/berth.db");
  expect(c.url).toBe("http://127.0.0.1:3000");
  expect(loadConfig({ BERTH_PORT: "3101", BERTH_HOME: "/tmp/x" }).url).toBe("http://127.0.0.1:3101");
  expect(() => loadConfig({ BERTH_PORT: "nope" })).toThrow(/BERTH_PORT/);
});

it("treats an empty variable as unset", () => {
  expect(loadConfig({ BERTH_TOKEN: "", BERTH_PORT: "" })).toMatchObject({ token: undefined, port: 3000 });
});

it("parses Docker's size syntax and validates container options", async () => {
  const { parseBytes, ContainerOptions } = await import("./container-options.js");
  expect(parseBytes("64m")).toBe(64 * 1024 * 1024);
  expect(parseBytes("1g")).toBe(1024 ** 3);
  expect(parseBytes("512")).toBe(512);
  expect(() => parseBytes("lots")).toThrow(/invalid size/);
  expect(ContainerOptions.parse({ capAdd: ["cap_net_admin"] }).capAdd).toEqual(["NET_ADMIN"]);
  expect(() => ContainerOptions.parse({ memory: 1024 })).toThrow(/minimum memory/);
  expect(() => ContainerOptions.parse({ bogus: 1 })).toThrow();
});
