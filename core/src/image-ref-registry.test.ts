import { expect, it } from "vitest";
import { parseImageRef } from "./image-ref.js";

it("parses a registry host in front of the repository, as Docker does", () => {
  expect(parseImageRef("127.0.0.1:5000/alice/app:1")).toEqual({ name: "127.0.0.1:5000/alice/app", tag: "1", registry: "127.0.0.1:5000", repository: "alice/app" });
  expect(parseImageRef("localhost:3000/x/y")).toEqual({ name: "localhost:3000/x/y", tag: "latest", registry: "localhost:3000", repository: "x/y" });
  expect(parseImageRef("localhost/x")).toMatchObject({ registry: "localhost", repository: "x" });
  expect(parseImageRef("registry.example.com/team/app@sha256:" + "b".repeat(64))).toMatchObject({ registry: "registry.example.com", repository: "team/app", tag: "latest" });
});

it("keeps names without a registry host local", () => {
  expect(parseImageRef("busybox")).toEqual({ name: "busybox", tag: "latest" });
  expect(parseImageRef("team/app:v2")).toEqual({ name: "team/app", tag: "v2" });
  expect(() => parseImageRef("127.0.0.1:5000/Alice/app")).toThrow(/lowercase/);
});
