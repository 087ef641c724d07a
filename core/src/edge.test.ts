import { describe, expect, it } from "vitest";
import { edgeHostName, edgeUrl, parseEdgeHost } from "./edge.js";

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
