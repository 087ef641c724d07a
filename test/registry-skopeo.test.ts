/**
 * A real registry client against Berth's /v2/: skopeo pushes an image it read from an OCI
 * layout and pulls it back to oci: and docker-archive:, digests unchanged. skopeo finds the
 * token realm by itself from the 401 challenge.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, startInstance, type Instance } from "./harness.js";
import { req, sha256, token, writeOciLayout } from "./registry-helpers.js";

let b: Instance;
let dir: string;
let src: ReturnType<typeof writeOciLayout>;

async function skopeo(args: string[]): Promise<string> {
  const r = await run("skopeo", ["--insecure-policy", ...args], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`skopeo ${args.join(" ")} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

const host = () => new URL(b.url).host;

beforeAll(async () => {
  const which = await run("sh", ["-c", "command -v skopeo"]);
  if (which.code !== 0) throw new Error("skopeo is not installed: run `scripts/setup.sh --test` (apt-get install skopeo)");
  b = await startInstance();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-skopeo-"));
  src = writeOciLayout(path.join(dir, "src"), "1", { "etc/hello": "hello from the registry test\n", "bin/tool": "#!/bin/sh\necho tool\n" });
});
afterAll(async () => {
  await b?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("skopeo against Berth", () => {
  it("pushes with credentials through the token realm, and pulls back to oci: with identical digests", async () => {
    const creds = `admin:${b.token}`;
    await skopeo(["copy", "--dest-creds", creds, "--dest-tls-verify=false", `oci:${path.join(dir, "src", "layout")}:1`, `docker://${host()}/admin/app:1`]);
    // skopeo obtained a token from the realm in the challenge (the registry never asks for Basic auth).
    const issued = b.logs().split("\n").filter((l) => l.includes('"msg":"registry token issued"')).map((l) => JSON.parse(l) as { user: string; access: string[] });
    expect(issued).toContainEqual({ ...issued.find((t) => t.user === "admin"), user: "admin", access: ["repository:admin/app:pull,push"] });

    const raw = await skopeo(["inspect", "--raw", "--creds", creds, "--tls-verify=false", `docker://${host()}/admin/app:1`]);
    expect(sha256(Buffer.from(raw))).toBe(src.manifestDigest);

    const out = path.join(dir, "out");
    await skopeo(["copy", "--src-creds", creds, "--src-tls-verify=false", `docker://${host()}/admin/app:1`, `oci:${out}:1`]);
    const index = JSON.parse(fs.readFileSync(path.join(out, "index.json"), "utf8")) as { manifests: { digest: string }[] };
    expect(index.manifests[0]!.digest).toBe(src.manifestDigest);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, "blobs", "sha256", src.manifestDigest.slice(7)), "utf8")) as { config: { digest: string }; layers: { digest: string }[] };
    expect(manifest.config.digest).toBe(src.configDigest);
    expect(manifest.layers.map((l) => l.digest)).toEqual([src.layerDigest]);
    const layer = fs.readFileSync(path.join(out, "blobs", "sha256", src.layerDigest.slice(7)));
    expect(sha256(layer)).toBe(src.layerDigest);
  });

  it("pulls to docker-archive: (same config and layer), and pushes that archive back", async () => {
    const creds = `admin:${b.token}`;
    const tar = path.join(dir, "app.tar");
    await skopeo(["copy", "--src-creds", creds, "--src-tls-verify=false", `docker://${host()}/admin/app:1`, `docker-archive:${tar}:admin/app:1`]);
    const x = path.join(dir, "archive");
    fs.mkdirSync(x);
    const untar = await run("tar", ["-xf", tar, "-C", x]);
    expect(untar.code).toBe(0);
    const [entry] = JSON.parse(fs.readFileSync(path.join(x, "manifest.json"), "utf8")) as { Config: string; Layers: string[] }[];
    expect(sha256(fs.readFileSync(path.join(x, entry!.Config)))).toBe(src.configDigest);
    // docker-archive holds layers uncompressed: their digests are the config's diff_ids.
    expect(entry!.Layers.map((l) => sha256(fs.readFileSync(path.join(x, l))))).toEqual([src.diffId]);

    // And back in, as a Docker schema2 image: the config is the same blob.
    await skopeo(["copy", "--dest-creds", creds, "--dest-tls-verify=false", `docker-archive:${tar}`, `docker://${host()}/admin/from-archive:1`]);
    const raw = JSON.parse(await skopeo(["inspect", "--raw", "--creds", creds, "--tls-verify=false", `docker://${host()}/admin/from-archive:1`])) as {
      mediaType: string;
      config: { digest: string };
    };
    expect(raw.mediaType).toBe("application/vnd.docker.distribution.manifest.v2+json");
    expect(raw.config.digest).toBe(src.configDigest);
  });

  it("a second push of the same image sends no blob again", async () => {
    const creds = `admin:${b.token}`;
    const uploads = () => b.logs().split("\n").filter((l) => l.includes("registry: blob uploaded")).length;
    const before = uploads();
    expect(before).toBeGreaterThanOrEqual(2);
    await skopeo(["copy", "--dest-creds", creds, "--dest-tls-verify=false", `oci:${path.join(dir, "src", "layout")}:1`, `docker://${host()}/admin/app:2`]);
    expect(uploads()).toBe(before);
  });

  it("pulls a public repository anonymously; a private one is refused", async () => {
    const anonOut = path.join(dir, "anon");
    const refused = await run("skopeo", ["--insecure-policy", "copy", "--src-no-creds", "--src-tls-verify=false", `docker://${host()}/admin/app:1`, `oci:${anonOut}:1`]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/unauthorized|authentication required/i);
    const set = await b.berth(["repo", "set", "admin/app", "--public"]);
    expect(set.code).toBe(0);
    await skopeo(["copy", "--src-no-creds", "--src-tls-verify=false", `docker://${host()}/admin/app:1`, `oci:${anonOut}:1`]);
    const index = JSON.parse(fs.readFileSync(path.join(anonOut, "index.json"), "utf8")) as { manifests: { digest: string }[] };
    expect(index.manifests[0]!.digest).toBe(src.manifestDigest);
  });

  it("a read-only token cannot push", async () => {
    const ro = (await b.berth(["token", "create", "--read-only"])).stdout.trim();
    expect(ro).toMatch(/^berth_/);
    const r = await run("skopeo", ["--insecure-policy", "copy", "--dest-creds", `admin:${ro}`, "--dest-tls-verify=false", `oci:${path.join(dir, "src", "layout")}:1`, `docker://${host()}/admin/readonly:1`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/denied|unauthorized/i);
    const t = await token(b.url, ["repository:admin/readonly:pull,push"], { user: "admin", pass: ro });
    expect(t.access).toEqual([{ type: "repository", name: "admin/readonly", actions: ["pull"] }]);
    const catalog = await req(b.url, "GET", "/v2/_catalog", { token: (await token(b.url, ["registry:catalog:*"], { user: "admin", pass: b.token })).token });
    expect(catalog.json<{ repositories: string[] }>().repositories).not.toContain("admin/readonly");
  });
  it("re-pushes an image whose blobs are all there with no upload: one token, a HEAD per blob, the manifest", async () => {
    const creds = `admin:${b.token}`;
    const layout = `oci:${path.join(dir, "src", "layout")}:1`;
    await skopeo(["copy", "--dest-creds", creds, "--dest-tls-verify=false", layout, `docker://${host()}/admin/again:1`]);
    // The second push goes through a loopback proxy that notes each request line the client sends.
    const seen: string[] = [];
    const proxy = net.createServer((c) => {
      const up = net.connect(b.port, "127.0.0.1");
      c.on("data", (d: Buffer) => {
        for (const m of d.toString("latin1").matchAll(/^(GET|HEAD|PUT|POST|PATCH|DELETE) (\S+) HTTP\/1\.1\r$/gm)) seen.push(`${m[1]} ${m[2]!.split("?")[0]}`);
      });
      c.pipe(up).pipe(c);
      c.on("error", () => up.destroy());
      up.on("error", () => c.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const port = (proxy.address() as net.AddressInfo).port;
      await skopeo(["copy", "--dest-creds", creds, "--dest-tls-verify=false", layout, `docker://127.0.0.1:${port}/admin/again:2`]);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
    expect(seen.filter((l) => l.startsWith("POST ") || l.startsWith("PATCH ")), seen.join("\n")).toEqual([]);
    expect(seen.filter((l) => l === "GET /v2/token").length, seen.join("\n")).toBe(1);
    expect(seen.filter((l) => l.startsWith("HEAD /v2/admin/again/blobs/")).sort(), seen.join("\n")).toEqual([`HEAD /v2/admin/again/blobs/${src.configDigest}`, `HEAD /v2/admin/again/blobs/${src.layerDigest}`].sort());
    expect(seen.filter((l) => l.startsWith("PUT ")), seen.join("\n")).toEqual(["PUT /v2/admin/again/manifests/2"]);
    expect(seen.length, seen.join("\n")).toBeLessThanOrEqual(6);
    const tok = await token(b.url, ["repository:admin/again:pull"], { user: "admin", pass: b.token });
    expect((await req(b.url, "HEAD", "/v2/admin/again/manifests/2", { token: tok.token, headers: { accept: "application/vnd.oci.image.manifest.v1+json" } })).headers.get("docker-content-digest")).toBe(src.manifestDigest);
  });
});
