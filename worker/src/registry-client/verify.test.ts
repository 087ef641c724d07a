import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isFailedPrecondition } from "@berth/core";
import { RegistryClient } from "./client.js";
import { verifyPushed } from "./verify.js";

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const config = `sha256:${"c".repeat(64)}`;
const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config, size: 2 }, layers: [] }));

/** A registry on loopback answering one manifest for a/b:t, whatever was pushed. */
let server: http.Server;
let client: RegistryClient;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === "/v2/a/b/manifests/t") return void res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" }).end(manifest);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  client = new RegistryClient({ registry: `127.0.0.1:${(server.address() as AddressInfo).port}`, attempts: 1 });
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("verifyPushed", () => {
  it("returns the digest read back when it is the one pushed and names the image's config", async () => {
    expect(await verifyPushed(client, "a/b", "t", { digest: sha(manifest), imageId: config })).toBe(sha(manifest));
  });

  it("refuses a manifest whose digest is not the one pushed, naming the image and both digests", async () => {
    const pushed = `sha256:${"a".repeat(64)}`;
    const err = await verifyPushed(client, "a/b", "t", { digest: pushed, imageId: config }).catch((e: Error) => e);
    expect(isFailedPrecondition(err)).toBe(true);
    expect((err as Error).message).toContain(config);
    expect((err as Error).message).toContain(pushed);
    expect((err as Error).message).toContain(sha(manifest));
  });

  it("refuses a manifest naming another config", async () => {
    const other = `sha256:${"d".repeat(64)}`;
    const err = await verifyPushed(client, "a/b", "t", { digest: sha(manifest), imageId: other }).catch((e: Error) => e);
    expect(isFailedPrecondition(err)).toBe(true);
    expect((err as Error).message).toMatch(/names config sha256:c{64}/);
  });
});
