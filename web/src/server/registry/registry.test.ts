import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ANONYMOUS, grant, heldActions, parseScopes, type Principal } from "./access.js";
import { RegistryError } from "./errors.js";
import { nextLink, pageParams, parseRange } from "./http.js";
import { loadOrCreateKey, signJwt, verifyJwt, type TokenClaims } from "./jwt.js";
import { accepts, ManifestType, parseManifest } from "./manifest.js";
import { checkRepoName, isRepoName, parseRoute } from "./names.js";
import { FailureLimiter, issueToken } from "./token.js";
import { parseContentRange } from "./uploads.js";

const D = (c: string) => `sha256:${c.repeat(64)}`;
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof RegistryError ? e.code : String(e);
  }
  return undefined;
};

describe("names and routes", () => {
  it("takes namespace/name in the spec's grammar and nothing else", () => {
    for (const ok of ["admin/app", "a/b/c", "bob/my-app_2", "x/a.b", "x/a__b", "x/a---b"]) expect(isRepoName(ok), ok).toBe(true);
    for (const bad of ["app", "Admin/app", "admin/App", "admin/a..b", "admin/../x", "admin/", "/app", "admin//x", "admin/-x", "admin/x-", "a/" + "b".repeat(260)]) {
      expect(isRepoName(bad), bad).toBe(false);
    }
    expect(codeOf(() => checkRepoName("Admin/app"))).toBe("NAME_INVALID");
  });

  it("routes paths whose repository names contain slashes and endpoint words", () => {
    expect(parseRoute("/v2/")).toEqual({ kind: "base" });
    expect(parseRoute("/v2")).toEqual({ kind: "base" });
    expect(parseRoute("/v2/token")).toEqual({ kind: "token" });
    expect(parseRoute("/v2/_catalog")).toEqual({ kind: "catalog" });
    expect(parseRoute("/v2/a/b/tags/list")).toEqual({ kind: "tags", name: "a/b" });
    expect(parseRoute("/v2/a/blobs/c/manifests/latest")).toEqual({ kind: "manifest", name: "a/blobs/c", reference: "latest" });
    expect(parseRoute(`/v2/a/b/blobs/${D("a")}`)).toEqual({ kind: "blob", name: "a/b", digest: D("a") });
    expect(parseRoute("/v2/a/b/blobs/uploads/")).toEqual({ kind: "uploads", name: "a/b" });
    expect(parseRoute("/v2/a/b/blobs/uploads/1234")).toEqual({ kind: "upload", name: "a/b", id: "1234" });
    expect(parseRoute(`/v2/a/b/referrers/${D("b")}`)).toEqual({ kind: "referrers", name: "a/b", digest: D("b") });
    expect(parseRoute(`/v2/a/b/manifests/sha256%3A${"c".repeat(64)}`)).toEqual({ kind: "manifest", name: "a/b", reference: D("c") });
    expect(parseRoute("/v2/a/b")).toBeUndefined();
    expect(parseRoute("/v2/a/%zz/tags/list")).toBeUndefined();
  });
});

describe("access", () => {
  const alice: Principal = { id: "u1", name: "alice", isAdmin: false, readOnly: false, teams: [] };
  const aliceRo: Principal = { ...alice, readOnly: true };
  const admin: Principal = { id: "u0", name: "admin", isAdmin: true, readOnly: false, teams: [] };
  const priv = { namespace: "bob", ownerId: "u2", isPublic: false };
  const pub = { namespace: "bob", ownerId: "u2", isPublic: true };
  const own = { namespace: "alice", ownerId: "u1", isPublic: false };
  const set = (s: Set<string>) => [...s].sort();

  it("owners and admins pull, push and delete; read-only tokens only pull", () => {
    expect(set(heldActions(alice, "alice/app", own))).toEqual(["delete", "pull", "push"]);
    expect(set(heldActions(alice, "alice/new", null))).toEqual(["delete", "pull", "push"]);
    expect(set(heldActions(aliceRo, "alice/app", own))).toEqual(["pull"]);
    expect(set(heldActions(admin, "bob/app", priv))).toEqual(["delete", "pull", "push"]);
    expect(set(heldActions(admin, "bob/new", null))).toEqual(["delete", "pull", "push"]);
  });

  it("a private repository and a missing one look the same to outsiders", () => {
    expect(set(heldActions(alice, "bob/app", priv))).toEqual([]);
    expect(set(heldActions(alice, "bob/nope", null))).toEqual([]);
    expect(set(heldActions(ANONYMOUS, "bob/app", priv))).toEqual([]);
    expect(set(heldActions(ANONYMOUS, "bob/nope", null))).toEqual([]);
  });

  it("a team's repositories follow the role table: viewers pull, members push and delete, others see nothing", () => {
    const acme = { namespace: "acme", teamId: "t-acme", ownerId: "u9", isPublic: false };
    const as = (role: "viewer" | "member" | "admin" | "owner", o: Partial<Principal> = {}): Principal => ({ ...alice, teams: [{ id: "t-acme", name: "acme", role }], ...o });
    expect(set(heldActions(as("viewer"), "acme/api", acme))).toEqual(["pull"]);
    expect(set(heldActions(as("viewer"), "acme/new", null))).toEqual(["pull"]);
    for (const role of ["member", "admin", "owner"] as const) {
      expect(set(heldActions(as(role), "acme/api", acme))).toEqual(["delete", "pull", "push"]);
      expect(set(heldActions(as(role), "acme/new", null))).toEqual(["delete", "pull", "push"]);
    }
    expect(set(heldActions(as("member", { readOnly: true }), "acme/api", acme))).toEqual(["pull"]);
    expect(set(heldActions(alice, "acme/api", acme))).toEqual([]);
    expect(set(heldActions(alice, "acme/new", null))).toEqual([]);
    // The team owns the row: having pushed it once gives nothing after leaving the team.
    expect(set(heldActions(alice, "acme/api", { ...acme, ownerId: "u1" }))).toEqual([]);
    // A token limited to acme does not carry the user's own namespace.
    expect(set(heldActions(as("member", { limitedTo: "t-acme" }), "alice/app", null))).toEqual([]);
  });

  it("anyone pulls a public repository, nobody else pushes to it", () => {
    expect(set(heldActions(ANONYMOUS, "bob/app", pub))).toEqual(["pull"]);
    expect(set(heldActions(alice, "bob/app", pub))).toEqual(["pull"]);
  });

  it("parses scopes (several per parameter, repeated, with '*') and grants only what is held", () => {
    expect(parseScopes(["repository:a/b:pull,push repository:c/d:pull", "repository:a/b:delete", "registry:catalog:*", "junk"])).toEqual([
      { type: "repository", name: "a/b", actions: ["pull", "push", "delete"] },
      { type: "repository", name: "c/d", actions: ["pull"] },
      { type: "registry", name: "catalog", actions: ["*"] },
    ]);
    expect(parseScopes(["repository:host:5000/a/b:pull"])).toEqual([{ type: "repository", name: "host:5000/a/b", actions: ["pull"] }]);
    expect(grant(["pull", "push"], new Set(["pull"]))).toEqual(["pull"]);
    expect(grant(["*"], new Set(["pull", "push", "delete"]))).toEqual(["pull", "push", "delete"]);
    expect(grant(["push"], new Set())).toEqual([]);
  });
});

describe("tokens", () => {
  const key = Buffer.alloc(32, 7);
  const now = 1_800_000_000;
  const claims: TokenClaims = { aud: "berth", uid: "u1", iat: now, exp: now + 300, scope: "repository:alice/app:pull,push" };

  it("verifies its own signature and the time window", () => {
    const t = signJwt(key, claims);
    expect(verifyJwt(key, t, { aud: "berth" }, now + 10)).toEqual({ ok: true, claims });
    expect(verifyJwt(key, t, { aud: "berth" }, now + 300)).toEqual({ ok: false, reason: "expired" });
    expect(verifyJwt(Buffer.alloc(32, 8), t, { aud: "berth" }, now)).toEqual({ ok: false, reason: "signature" });
    expect(verifyJwt(key, t, { aud: "other" }, now)).toEqual({ ok: false, reason: "audience" });
  });

  it("refuses tampered claims and other algorithms", () => {
    const [h, , s] = signJwt(key, claims).split(".");
    const forged = Buffer.from(JSON.stringify({ ...claims, uid: "admin" })).toString("base64url");
    expect(verifyJwt(key, `${h}.${forged}.${s}`, { aud: "berth" }, now)).toEqual({ ok: false, reason: "signature" });
    const none = Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url");
    expect(verifyJwt(key, `${none}.${forged}.`, { aud: "berth" }, now)).toEqual({ ok: false, reason: "malformed" });
    expect(verifyJwt(key, "not-a-jwt", { aud: "berth" }, now)).toEqual({ ok: false, reason: "malformed" });
  });

  it("issues tokens that carry the grants and the API token in a few hundred bytes (every request of a push sends it)", () => {
    const p: Principal = { id: "ae71239d9d38c25a22e86260", name: "admin", isAdmin: true, readOnly: false, teams: [], tokenId: "9d3b74124f916b9dc1483911" };
    const access = [{ type: "repository", name: "admin/bench", actions: ["pull", "push"] }];
    const { token } = issueToken(key, p, access, now);
    const v = verifyJwt(key, token, { aud: "berth" }, now + 10);
    if (!v.ok) throw new Error(`token refused: ${v.reason}`);
    expect(v.claims).toMatchObject({ uid: p.id, tok: p.tokenId, exp: now + 300 });
    expect(parseScopes([v.claims.scope])).toEqual(access);
    // Docker's full claim set (iss, sub, nbf, jti, access objects) made it 570 bytes.
    expect(token.length).toBeLessThan(300);
  });

  it("makes the signing key once, mode 0600, and reads the same key after", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "berth-key-"));
    try {
      const file = path.join(dir, "secret.key");
      const [a, b] = await Promise.all([loadOrCreateKey(file), loadOrCreateKey(file)]);
      expect(a.equals(b)).toBe(true);
      expect(a.length).toBe(32);
      expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
      expect((await loadOrCreateKey(file)).equals(a)).toBe(true);
      expect(await fs.readdir(dir)).toEqual(["secret.key"]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("limits failed logins per client", () => {
    const l = new FailureLimiter(3, 60_000);
    for (let i = 0; i < 3; i++) l.fail("a", 1000);
    expect(l.blocked("a", 1000)).toBe(60);
    expect(l.blocked("b", 1000)).toBe(0);
    expect(l.blocked("a", 61_001)).toBe(0);
  });
});

describe("http details", () => {
  it("parses single byte ranges", () => {
    expect(parseRange(undefined, 10)).toBeUndefined();
    expect(parseRange("bytes=0-3", 10)).toEqual({ start: 0, end: 3 });
    expect(parseRange("bytes=5-", 10)).toEqual({ start: 5, end: 9 });
    expect(parseRange("bytes=-4", 10)).toEqual({ start: 6, end: 9 });
    expect(parseRange("bytes=8-100", 10)).toEqual({ start: 8, end: 9 });
    expect(parseRange("bytes=10-", 10)).toBe("unsatisfiable");
    expect(parseRange("bytes=5-2", 10)).toBe("unsatisfiable");
    expect(parseRange("bytes=0-1,3-4", 10)).toBeUndefined();
  });

  it("parses upload Content-Range with or without the unit", () => {
    expect(parseContentRange("0-99")).toEqual({ start: 0, end: 99 });
    expect(parseContentRange("bytes 100-199/*")).toEqual({ start: 100, end: 199 });
    expect(parseContentRange("9-3")).toBe("invalid");
    expect(parseContentRange("x")).toBe("invalid");
  });

  it("paginates with n/last and a Link to the next page", () => {
    expect(pageParams(new URLSearchParams("n=2&last=b"), 1000)).toEqual({ n: 2, last: "b" });
    expect(pageParams(new URLSearchParams(""), 1000)).toEqual({ n: 1000, last: undefined });
    expect(pageParams(new URLSearchParams("n=5000"), 1000).n).toBe(1000);
    expect(codeOf(() => pageParams(new URLSearchParams("n=-1"), 1000))).toBe("PAGINATION_NUMBER_INVALID");
    expect(nextLink("/v2/a/b/tags/list", 2, "b")).toBe('</v2/a/b/tags/list?n=2&last=b>; rel="next"');
  });
});

describe("manifests", () => {
  const image = (extra: object = {}) =>
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: ManifestType.ociManifest,
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: D("c"), size: 2 },
        layers: [
          { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: D("1"), size: 3 },
          { mediaType: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", digest: D("2"), size: 3, urls: ["https://example.com/l"] },
        ],
        ...extra,
      }),
    );

  it("lists the blobs an image manifest needs (not foreign layers) and its subject", () => {
    const m = parseManifest(image({ subject: { mediaType: ManifestType.ociManifest, digest: D("s"), size: 1 } }), ManifestType.ociManifest);
    expect(m).toMatchObject({ mediaType: ManifestType.ociManifest, isIndex: false, blobs: [D("c"), D("1")], manifests: [], subject: D("s"), artifactType: "application/vnd.oci.image.config.v1+json" });
  });

  it("lists an index's children", () => {
    const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: ManifestType.dockerList, manifests: [{ mediaType: ManifestType.dockerManifest, digest: D("a"), size: 5 }] }));
    expect(parseManifest(body, undefined)).toMatchObject({ isIndex: true, blobs: [], manifests: [D("a")] });
  });

  it("refuses malformed and mismatched manifests as MANIFEST_INVALID", () => {
    expect(codeOf(() => parseManifest(Buffer.from("{"), ManifestType.ociManifest))).toBe("MANIFEST_INVALID");
    expect(codeOf(() => parseManifest(image(), ManifestType.dockerManifest))).toBe("MANIFEST_INVALID");
    expect(codeOf(() => parseManifest(image({ schemaVersion: 1 }), undefined))).toBe("MANIFEST_INVALID");
    expect(codeOf(() => parseManifest(image({ layers: "x" }), undefined))).toBe("MANIFEST_INVALID");
    expect(codeOf(() => parseManifest(image({ config: { digest: D("c") } }), undefined))).toBe("MANIFEST_INVALID");
    expect(codeOf(() => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, config: {}, layers: [] })), "application/json"))).toBe("MANIFEST_INVALID");
  });

  it("negotiates by Accept", () => {
    expect(accepts(undefined, ManifestType.ociIndex)).toBe(true);
    expect(accepts("application/json", ManifestType.ociIndex)).toBe(true);
    expect(accepts("*/*", ManifestType.ociIndex)).toBe(true);
    expect(accepts(`${ManifestType.dockerManifest}, ${ManifestType.dockerList}`, ManifestType.ociIndex)).toBe(false);
    expect(accepts([ManifestType.dockerManifest, `${ManifestType.ociIndex}; q=0.5`], ManifestType.ociIndex)).toBe(true);
  });
});
