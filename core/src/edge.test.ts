import { describe, expect, it } from "vitest";
import { edgeHostName, edgeRouteKeyString, edgeRouteCandidates, edgeUrl, parseEdgeHost } from "./edge.js";

describe("port link host names", () => {
  it("reads a container's and a stack service's link, with or without the port, in any case", () => {
    expect(parseEdgeHost("web-8080--acme.localhost:8000", "localhost")).toEqual({ kind: "container", team: "acme", container: "web", port: 8080 });
    expect(parseEdgeHost("My-App-3000--Acme.dev.example.com", "dev.example.com")).toEqual({ kind: "container", team: "acme", container: "my-app", port: 3000 });
    expect(parseEdgeHost("api-80--shop--acme.localhost", "localhost")).toEqual({ kind: "stack", team: "acme", stack: "shop", service: "api", port: 80 });
  });

  it("refuses what is not a link: another domain, a nested name, no port, a port out of range", () => {
    for (const h of ["web-8080--acme.example.com", "a.web-8080--acme.localhost", "web--acme.localhost", "web-70000--acme.localhost", "localhost", "web-80.localhost", "web-80----acme.localhost"]) {
      expect(parseEdgeHost(h, "localhost"), h).toBeNull();
    }
  });

  it("round-trips through edgeHostName and refuses a name with a dot", () => {
    const key = { kind: "container" as const, team: "acme", container: "web", port: 8080 };
    expect(parseEdgeHost(edgeHostName(key, "localhost"), "localhost")).toEqual(key);
    expect(edgeUrl(key, "localhost", 8000)).toBe("http://web-8080--acme.localhost:8000/");
    expect(edgeUrl(key, "localhost", 80)).toBe("http://web-8080--acme.localhost/");
    expect(() => edgeHostName({ ...key, container: "a.b" }, "localhost")).toThrow(/dot/);
  });
});

describe("stack and preview host names", () => {
  it("reads a preview `<branch>--<project>--<team>` and a preview service's `<svc>-<port>--<branch>--<project>--<team>`", () => {
    expect(edgeRouteCandidates("feature-login--shop--acme.localhost:8000", "localhost")).toEqual([{ kind: "preview", team: "acme", project: "shop", branch: "feature-login" }]);
    expect(edgeRouteCandidates("api-9000--main--shop--acme.localhost", "localhost")).toEqual([{ kind: "stack", team: "acme", stack: "main--shop", service: "api", port: 9000 }]);
  });

  it("tries a 3-part host with a port as a preview first, then as a stack service", () => {
    expect(edgeRouteCandidates("release-2--shop--acme.localhost", "localhost")).toEqual([
      { kind: "preview", team: "acme", project: "shop", branch: "release-2" },
      { kind: "stack", team: "acme", stack: "shop", service: "release", port: 2 },
    ]);
  });

  it("round-trips a preview key and refuses more parts or an empty one", () => {
    const key = { kind: "preview" as const, team: "acme", project: "shop", branch: "main" };
    expect(edgeRouteCandidates(edgeHostName(key, "localhost"), "localhost")).toEqual([key]);
    for (const h of ["a-1--b--c--d--e.localhost", "main----acme.localhost", "--shop--acme.localhost", "main--shop--acme.example.com"]) expect(edgeRouteCandidates(h, "localhost"), h).toEqual([]);
  });

  it("reads an environment's `env--<env>--<project>--<team>`, which no branch preview or stack service can name", () => {
    const key = { kind: "environment" as const, team: "acme", project: "shop", env: "production" };
    expect(edgeHostName(key, "localhost")).toBe("env--production--shop--acme.localhost");
    expect(edgeRouteCandidates("env--production--shop--acme.localhost:8000", "localhost")).toEqual([key]);
    expect(edgeRouteKeyString(key)).toBe("env/acme/shop/production");
    // A branch called "env" previews at a 3-part host; a stack service's 4-part host needs a port.
    expect(edgeRouteCandidates("env--shop--acme.localhost", "localhost")).toEqual([{ kind: "preview", team: "acme", project: "shop", branch: "env" }]);
  });
});
