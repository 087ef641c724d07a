import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { callerCreds, isThisServer } from "./registry-http.js";

const request = (host: string, localPort: number, authorization?: string) =>
  ({ headers: { host, ...(authorization ? { authorization } : {}) }, socket: { localPort } }) as unknown as IncomingMessage;
const alice = "alice";

describe("the caller's token for this server's own registry", () => {
  it("recognises this server by the Host it was reached at, or a loopback name for its port", () => {
    expect(isThisServer("berth.example.com:3000", request("berth.example.com:3000", 3000))).toBe(true);
    expect(isThisServer("127.0.0.1:3000", request("localhost:3000", 3000))).toBe(true);
    expect(isThisServer("localhost:3000", request("10.1.2.3:3000", 3000))).toBe(true);
    expect(isThisServer("127.0.0.1:5000", request("127.0.0.1:3000", 3000))).toBe(false);
    expect(isThisServer("registry.example.com", request("berth.example.com", 80))).toBe(false);
  });

  it("lends the API token only to this server, and only a token (not a browser session)", () => {
    const req = request("127.0.0.1:3000", 3000, "Bearer berth_abc");
    expect(callerCreds(req, alice, "127.0.0.1:3000")).toEqual({ username: "alice", password: "berth_abc" });
    expect(callerCreds(req, alice, "127.0.0.1:5000")).toBeUndefined();
    expect(callerCreds(req, alice, "docker.io")).toBeUndefined();
    expect(callerCreds(req, alice, undefined)).toBeUndefined();
    expect(callerCreds(request("127.0.0.1:3000", 3000), alice, "127.0.0.1:3000")).toBeUndefined();
  });
});
