import { expect, it, vi } from "vitest";
import { credsFor, formatProgress, parseCreds, registryOf } from "./registry-transfer.js";
import { buildProgram } from "./program.js";
import { serverUrl } from "./commands/login.js";

it("parses --creds and finds `berth login REGISTRY`'s stored token", () => {
  expect(parseCreds("admin:berth_abc:def")).toEqual({ username: "admin", password: "berth_abc:def" });
  expect(() => parseCreds("admin")).toThrow(/USERNAME:PASSWORD/);
  expect(registryOf("127.0.0.1:5000/a/b:1")).toBe("127.0.0.1:5000");
  expect(registryOf("team/app")).toBeUndefined();
  const lookup = (url: string) => (url === "http://127.0.0.1:5000" ? { user: "alice", token: "berth_t" } : undefined);
  expect(credsFor("127.0.0.1:5000/a/b:1", undefined, lookup)).toEqual({ username: "alice", password: "berth_t" });
  expect(credsFor("127.0.0.1:5000/a/b:1", "bob:x", lookup)).toEqual({ username: "bob", password: "x" });
  expect(credsFor("busybox", undefined, lookup)).toBeUndefined();
});

it("prints progress as docker does", () => {
  expect(formatProgress({ id: "abc123def456", status: "Pushed" })).toBe("abc123def456: Pushed");
  expect(formatProgress({ id: "", status: "1: digest: sha256:x size: 5" })).toBe("1: digest: sha256:x size: 5");
});

it("login takes a registry host; loopback is plain http", () => {
  expect(serverUrl("127.0.0.1:5000")).toBe("http://127.0.0.1:5000");
  expect(serverUrl("localhost:3000")).toBe("http://localhost:3000");
  expect(serverUrl("registry.example.com")).toBe("https://registry.example.com");
  expect(serverUrl("https://b.example.com/")).toBe("https://b.example.com");
});

it("wires push and pull with --creds and -q", async () => {
  const push = vi.fn(async () => undefined);
  const pull = vi.fn(async () => undefined);
  await buildProgram({ push, pull }).parseAsync(["push", "127.0.0.1:5000/a/b:1", "--creds", "u:p"], { from: "user" });
  await buildProgram({ push, pull }).parseAsync(["pull", "-q", "127.0.0.1:5000/a/b:1"], { from: "user" });
  expect(push).toHaveBeenCalledWith({ name: "127.0.0.1:5000/a/b:1", creds: "u:p", quiet: false });
  expect(pull).toHaveBeenCalledWith({ name: "127.0.0.1:5000/a/b:1", quiet: true });
});
