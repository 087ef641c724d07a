import { describe, expect, it } from "vitest";
import { NamedRoute } from "@berth/core";
import { buildDomainIndex, hostName } from "./domains.js";

const route = (domains: string[]): NamedRoute =>
  NamedRoute.parse({ upstream: { containerId: "c1", port: 80 }, teamId: "t", linkId: "l", defaultVisibility: "public", since: "now", domains });

describe("custom domains", () => {
  it("reads a Host header as a bare lower-case host name", () => {
    expect(hostName("App.Example.com:8443")).toBe("app.example.com");
    expect(hostName("app.example.com.")).toBe("app.example.com");
    expect(hostName("[::1]:8000")).toBe("[::1]");
  });

  it("maps each domain to its route's key; a domain claimed twice stays with the first route by name", () => {
    const idx = buildDomainIndex(
      new Map([
        ["env/acme/shop/production", route(["app.example.com", "WWW.example.com"])],
        ["env/acme/shop/staging", route(["staging.example.com", "app.example.com"])],
        ["not-a-route-name", route(["x.example.com"])],
      ]),
    );
    expect(idx.byHost.get("app.example.com")).toEqual({ kind: "environment", team: "acme", project: "shop", env: "production" });
    expect(idx.byHost.get("www.example.com")).toEqual({ kind: "environment", team: "acme", project: "shop", env: "production" });
    expect(idx.byHost.get("staging.example.com")).toEqual({ kind: "environment", team: "acme", project: "shop", env: "staging" });
    expect(idx.byHost.has("x.example.com")).toBe(false);
    expect(idx.conflicts).toEqual([{ domain: "app.example.com", kept: "env/acme/shop/production", refused: "env/acme/shop/staging" }]);
  });

  it("refuses a domain that is no exact host name", () => {
    for (const bad of ["*.example.com", "https://app.example.com", "app.example.com:443", "-a.example.com", ""]) {
      expect(NamedRoute.safeParse({ upstream: { containerId: "c", port: 1 }, teamId: "t", linkId: "l", defaultVisibility: "public", since: "x", domains: [bad] }).success, bad).toBe(false);
    }
  });
});
