import { describe, expect, it } from "vitest";
import { crossSiteRefusal, isCookieAuthenticated, ownOrigin } from "./origin.js";

const PUBLIC = "http://127.0.0.1:3000";

describe("ownOrigin", () => {
  it.each([
    ["http://berth.lan:3000", "berth.lan:3000", true],
    ["http://BERTH.lan:3000", "berth.lan:3000", true],
    ["https://berth.example", "berth.example", true],
    ["https://berth.example", "berth.example:443", true],
    ["http://127.0.0.1:3000", "anything.else:8080", true], // BERTH_URL, as behind a proxy
    ["http://berth.lan:3001", "berth.lan:3000", false], // another port of the same host: same-site, not ours
    ["http://evil.example", "berth.lan:3000", false],
    ["https://127.0.0.1:3000", "berth.lan:3000", false], // BERTH_URL's host with another scheme
    ["null", "berth.lan:3000", false],
    ["file://", "berth.lan:3000", false],
  ])("%s for Host %s → %s", (origin, host, expected) => {
    expect(ownOrigin(origin, { host }, PUBLIC)).toBe(expected);
  });
});

describe("crossSiteRefusal", () => {
  it("passes requests without Origin or Sec-Fetch-Site (non-browser clients) and same-origin ones", () => {
    expect(crossSiteRefusal({ host: "berth.lan:3000" }, PUBLIC)).toBeUndefined();
    expect(crossSiteRefusal({ host: "berth.lan:3000", origin: "http://berth.lan:3000", "sec-fetch-site": "same-origin" }, PUBLIC)).toBeUndefined();
    expect(crossSiteRefusal({ host: "berth.lan:3000", "sec-fetch-site": "none" }, PUBLIC)).toBeUndefined();
  });

  it("refuses a foreign Origin, and Sec-Fetch-Site same-site or cross-site", () => {
    expect(crossSiteRefusal({ host: "berth.lan:3000", origin: "http://berth.lan:8080" }, PUBLIC)).toMatch(/cross-origin/);
    expect(crossSiteRefusal({ host: "berth.lan:3000", "sec-fetch-site": "same-site" }, PUBLIC)).toMatch(/cross-site/);
    expect(crossSiteRefusal({ host: "berth.lan:3000", "sec-fetch-site": "cross-site" }, PUBLIC)).toMatch(/cross-site/);
  });
});

describe("isCookieAuthenticated", () => {
  it("is the session cookie without a Bearer token", () => {
    expect(isCookieAuthenticated({ cookie: "berth_session=abc" })).toBe(true);
    expect(isCookieAuthenticated({ cookie: "berth_session=abc", authorization: "Bearer berth_x" })).toBe(false);
    expect(isCookieAuthenticated({ cookie: "other=1" })).toBe(false);
    expect(isCookieAuthenticated({})).toBe(false);
  });
});
