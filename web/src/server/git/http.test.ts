import { describe, expect, it } from "vitest";
import { parseCgiHeaders } from "./cgi.js";
import { gitRoute } from "./http.js";

describe("gitRoute", () => {
  const route = (method: string, url: string) => {
    const u = new URL(url, "http://berth");
    return gitRoute(method, u.pathname, u.searchParams);
  };
  it("names the action of each smart HTTP request", () => {
    expect(route("GET", "/git/acme/site.git/info/refs?service=git-upload-pack")).toEqual({ team: "acme", project: "site", rest: "/info/refs", action: "project.read" });
    expect(route("GET", "/git/acme/site.git/info/refs?service=git-receive-pack")?.action).toBe("project.push");
    expect(route("POST", "/git/acme/site.git/git-upload-pack")?.action).toBe("project.read");
    expect(route("POST", "/git/acme/site.git/git-receive-pack")?.action).toBe("project.push");
  });
  it("serves nothing else: dumb HTTP, wrong methods, paths outside a repository", () => {
    expect(route("GET", "/git/acme/site.git/info/refs")).toBeUndefined();
    expect(route("GET", "/git/acme/site.git/HEAD")).toBeUndefined();
    expect(route("GET", "/git/acme/site.git/objects/info/packs")).toBeUndefined();
    expect(route("GET", "/git/acme/site.git/git-receive-pack")).toBeUndefined();
    expect(route("POST", "/git/acme/site.git/info/refs?service=git-receive-pack")).toBeUndefined();
    expect(route("GET", "/git/acme/..%2F..%2Fx.git/info/refs?service=git-upload-pack")).toBeUndefined();
    expect(route("GET", "/git/%2e%2e/x.git/info/refs?service=git-upload-pack")).toBeUndefined();
  });
});

describe("parseCgiHeaders", () => {
  it("reads the status and keeps the headers in order", () => {
    expect(parseCgiHeaders("Status: 403 Forbidden\r\nContent-Type: text/plain\r\nExpires: Fri, 01 Jan 1980 00:00:00 GMT")).toEqual({ status: 403, headers: [["Content-Type", "text/plain"], ["Expires", "Fri, 01 Jan 1980 00:00:00 GMT"]] });
    expect(parseCgiHeaders("Content-Type: application/x-git-upload-pack-advertisement\n")).toEqual({ status: 200, headers: [["Content-Type", "application/x-git-upload-pack-advertisement"]] });
  });
});
