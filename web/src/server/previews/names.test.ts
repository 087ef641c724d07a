import { describe, expect, it } from "vitest";
import { branchSlug, previewImageTag, projectSlug } from "./names.js";
import { parseJsonc } from "./jsonc.js";

describe("preview names", () => {
  it("makes a branch a DNS-safe slug: lower case, single dashes", () => {
    expect(branchSlug("Feature/Login Page", "shop", "acme")).toBe("feature-login-page");
    expect(branchSlug("fix--double__dash", "shop", "acme")).toBe("fix-double-dash");
    expect(branchSlug("///", "shop", "acme")).toBe("branch");
  });

  it("keeps `<slug>--<project>--<team>` within one DNS label, two long branches apart", () => {
    const a = branchSlug(`feature/${"x".repeat(80)}-a`, "shop", "acme");
    const b = branchSlug(`feature/${"x".repeat(80)}-b`, "shop", "acme");
    expect(`${a}--shop--acme`.length).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
  });

  it("refuses a project name that cannot be a host name part, and tags images by commit", () => {
    expect(() => projectSlug("my--app")).toThrow(/single dashes/);
    expect(projectSlug("Shop")).toBe("shop");
    expect(previewImageTag("Acme", "shop", "web", "ABCDEF1")).toBe("acme/shop/web:abcdef1");
    expect(() => previewImageTag("acme", "shop", "web", "main")).toThrow(/not a commit/);
  });

  it("reads devcontainer.json's comments and trailing commas", () => {
    expect(parseJsonc('{\n // a comment\n "image": "busybox", /* more */ "url": "http://x//y",\n "forwardPorts": [8080,],\n}', "devcontainer.json")).toEqual({ image: "busybox", url: "http://x//y", forwardPorts: [8080] });
  });
});
