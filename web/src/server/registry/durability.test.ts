import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "@berth/core";
import { ContentStore } from "@berth/core/content";
import { BlobDurability, MARKER_IN_FLIGHT_MS } from "./durability.js";

// A second web starting (scale-out) while the first publishes a blob: the first has written its
// marker and not yet linked the blob. recover() must not take that marker away, or a crash of the
// first web right after its link would leave a blob that nothing checks.
let dir: string;
let store: ContentStore;
let d: BlobDurability;
const log = createLogger("test", "silent");

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-durability-"));
  store = new ContentStore(dir);
  await store.init();
  d = new BlobDurability(store, dir, log);
  await d.recover();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const digestOf = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const markerOf = (digest: string) => path.join(d.dir, `sha256-${digest.slice(7)}`);

describe("markers of another web's publish in flight", () => {
  it("a fresh marker whose blob is not linked yet is left; a stale one (a crash) goes", async () => {
    const digest = digestOf(randomBytes(1000));
    fs.writeFileSync(markerOf(digest), "");
    expect(await d.recover()).toBe(0); // not lost: in flight
    expect(fs.existsSync(markerOf(digest))).toBe(true);
    expect(await d.ensure([digest])).toEqual([digest]); // not usable yet, and the marker still stays
    expect(fs.existsSync(markerOf(digest))).toBe(true);
    const old = (Date.now() - MARKER_IN_FLIGHT_MS - 1000) / 1000;
    fs.utimesSync(markerOf(digest), old, old);
    await d.recover();
    expect(fs.existsSync(markerOf(digest))).toBe(false);
  });

  it("once the other web links its blob, whole, the blob is checked and kept and the marker goes", async () => {
    const bytes = randomBytes(5000);
    const digest = digestOf(bytes);
    fs.writeFileSync(markerOf(digest), "");
    await d.recover();
    fs.mkdirSync(path.dirname(store.blobPath(digest)), { recursive: true });
    fs.writeFileSync(store.blobPath(digest), bytes);
    expect(await d.ensure([digest])).toEqual([]);
    expect(fs.existsSync(markerOf(digest))).toBe(false);
    expect(fs.readFileSync(store.blobPath(digest)).equals(bytes)).toBe(true);
  });
});
