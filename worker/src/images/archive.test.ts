import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isInvalidArgument, MediaType, sha256, type ImageConfig } from "@berth/core";
import { ContentStore } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import { EPOCH, packDirectory, type LayerBlob } from "./layer.js";
import { loadArchive } from "./load.js";
import { saveImages } from "./save.js";
import { commitImage, loadImage } from "./store.js";
import { TarIndex } from "./tar-index.js";
import { migratedDb, rawTar, type RawEntry } from "./test-support.js";

let dir: string;
let db: PrismaClient;
let store: ContentStore;
let n = 0;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "berth-archive-"));
  db = await migratedDb(path.join(dir, "berth.db"));
});
afterAll(async () => {
  await db?.$disconnect();
  await fs.rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await db.imageTag.deleteMany();
  await db.image.deleteMany();
  store = new ContentStore(path.join(dir, `content-${++n}`));
  await store.init();
});

const file = (name: string) => path.join(dir, `${n}-${name}`);

/** A plain-tar layer blob straight from entries. */
async function tarLayer(entries: RawEntry[]): Promise<LayerBlob> {
  const bytes = rawTar(entries);
  const { digest, size } = await store.write(bytes);
  return { descriptor: { mediaType: MediaType.layerTar, digest, size }, diffId: digest, tarSize: size };
}

/** app:1 — a packed base layer and a layer deleting /etc/old. */
async function makeImage(ref = "app:1") {
  const src = path.join(dir, `src-${n}`);
  await fs.mkdir(path.join(src, "etc"), { recursive: true });
  await fs.writeFile(path.join(src, "etc/old"), "old");
  await fs.writeFile(path.join(src, "etc/keep"), "keep");
  const base = await packDirectory(src, store, { mtime: EPOCH });
  const top = await tarLayer([{ path: "etc/", type: "Directory" }, { path: "etc/.wh.old" }, { path: "etc/new", body: "new" }]);
  return commitImage(db, store, ref, [base, top], { architecture: "amd64", os: "linux", config: { Cmd: ["sh"] } });
}

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

async function storeIsEmpty(s: ContentStore) {
  return (await fs.readdir(s.blobs)).length === 0 && (await fs.readdir(s.ingestDir)).length === 0;
}

describe("save, docker-archive", () => {
  it("writes what docker save writes: layer dirs with plain layer.tar, <id>.json, manifest.json, repositories", async () => {
    const { id } = await makeImage();
    const out = file("docker.tar");
    await saveImages(db, store, [{ id, tags: ["app:1"] }], "docker", out);
    const idx = await TarIndex.open(out);
    const manifest = await idx.readJson<{ Config: string; RepoTags: string[]; Layers: string[] }[]>("manifest.json");
    expect(manifest).toHaveLength(1);
    expect(manifest[0]!.RepoTags).toEqual(["app:1"]);
    expect(manifest[0]!.Config).toBe(`${id.slice(7)}.json`);
    const config = await idx.read(manifest[0]!.Config);
    expect(sha(config)).toBe(id);
    const diffIds = (JSON.parse(config.toString()) as ImageConfig).rootfs.diff_ids;
    expect(await Promise.all(manifest[0]!.Layers.map(async (l) => sha(await idx.read(l))))).toEqual(diffIds);
    const repos = await idx.readJson<Record<string, Record<string, string>>>("repositories");
    expect(repos).toEqual({ app: { "1": manifest[0]!.Layers[1]!.split("/")[0] } });
    expect(idx.has(`${manifest[0]!.Layers[0]!.split("/")[0]}/VERSION`)).toBe(true);
  });

  it("round-trips: load gives back the same image id, tag and layers", async () => {
    const { id } = await makeImage();
    const out = file("rt.tar");
    await saveImages(db, store, [{ id, tags: ["app:1"] }], "docker", out);
    const before = await loadImage(db, store, id);
    await db.image.deleteMany();
    const fresh = new ContentStore(path.join(dir, `content-fresh-${n}`));
    await fresh.init();
    const loaded = await loadArchive({ db, blobs: fresh }, out);
    expect(loaded).toEqual([{ id, tags: ["app:1"] }]);
    const after = await loadImage(db, fresh, id);
    expect(after.config).toEqual(before.config);
    // Plain layers stay plain (as Berth stores its own): the same blobs, digest == diff_id.
    expect(after.manifest.layers.map((l) => l.mediaType)).toEqual([MediaType.layerTar, MediaType.layerTar]);
    expect(after.manifest.layers.map((l) => l.digest)).toEqual(before.manifest.layers.map((l) => l.digest));
    expect(after.manifest.layers.map((l) => l.digest)).toEqual(before.config.rootfs.diff_ids);
    expect(sha(await fresh.read(after.manifest.layers[1]!.digest))).toBe(before.config.rootfs.diff_ids[1]);
    expect((await db.imageTag.findUnique({ where: { ref: "app:1" } }))?.imageId).toBe(id);
  });

  it("loading into a store that has the layers stores nothing new", async () => {
    const { id } = await makeImage();
    const out = file("again.tar");
    await saveImages(db, store, [{ id, tags: ["app:1"] }], "docker", out);
    const blobsBefore = (await fs.readdir(store.blobs)).sort();
    await db.imageTag.deleteMany();
    await loadArchive({ db, blobs: store }, out);
    expect((await fs.readdir(store.blobs)).sort()).toEqual(blobsBefore);
  });
});

describe("save, OCI layout", () => {
  it("writes index.json, oci-layout and every blob under its digest", async () => {
    const { id, manifestDigest } = await makeImage();
    const out = file("oci.tar");
    await saveImages(db, store, [{ id, tags: ["app:1"] }], "oci", out);
    const idx = await TarIndex.open(out);
    expect(await idx.readJson("oci-layout")).toEqual({ imageLayoutVersion: "1.0.0" });
    const index = await idx.readJson<{ manifests: { digest: string; annotations: Record<string, string> }[] }>("index.json");
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]!.digest).toBe(manifestDigest);
    expect(index.manifests[0]!.annotations["org.opencontainers.image.ref.name"]).toBe("app:1");
    expect(index.manifests[0]!.annotations["io.containerd.image.name"]).toBe("docker.io/library/app:1");
    for (const name of idx.names().filter((x) => x.startsWith("blobs/sha256/") && x.length > 20)) {
      expect(sha(await idx.read(name))).toBe(`sha256:${name.slice("blobs/sha256/".length)}`);
    }
    // and the manifest.json Docker 20.10's load reads
    const dm = await idx.readJson<{ Config: string }[]>("manifest.json");
    expect(dm[0]!.Config).toBe(`blobs/sha256/${id.slice(7)}`);
  });

  it("round-trips with the manifest kept byte for byte", async () => {
    const { id, manifestDigest } = await makeImage();
    const out = file("oci-rt.tar");
    await saveImages(db, store, [{ id, tags: ["app:1"] }], "oci", out);
    await db.image.deleteMany();
    const fresh = new ContentStore(path.join(dir, `content-oci-${n}`));
    await fresh.init();
    expect(await loadArchive({ db, blobs: fresh }, out)).toEqual([{ id, tags: ["app:1"] }]);
    // Layers are stored as they came (plain tars stay plain): the manifest is kept, so is its digest.
    const row = await db.image.findUniqueOrThrow({ where: { id } });
    expect(await fresh.has(row.manifestDigest)).toBe(true);
    expect(row.manifestDigest).toBe(manifestDigest);
  });
});

/** A docker-archive written by hand, as `docker save` lays it out. */
async function dockerArchive(layers: Buffer[], opts: { tags?: string[]; diffIds?: string[]; extra?: RawEntry[] } = {}) {
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: opts.diffIds ?? layers.map(sha) } }));
  const configName = `${sha(config).slice(7)}.json`;
  const entries: RawEntry[] = layers.map((l, i) => ({ path: `l${i}/layer.tar`, body: l }));
  entries.push({ path: configName, body: config }, ...(opts.extra ?? []));
  entries.push({ path: "manifest.json", body: JSON.stringify([{ Config: configName, RepoTags: opts.tags ?? ["x:1"], Layers: layers.map((_, i) => `l${i}/layer.tar`) }]) });
  const out = file(`hand-${Math.random().toString(36).slice(2)}.tar`);
  await fs.writeFile(out, rawTar(entries));
  return { out, id: sha(config) };
}

describe("load", () => {
  it("reads docker save's layout, following a symlinked repeated layer", async () => {
    const layer = rawTar([{ path: "a", body: "a" }]);
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [sha(layer), sha(layer)] } }));
    const out = file("dup.tar");
    await fs.writeFile(
      out,
      rawTar([
        { path: "one/", type: "Directory" },
        { path: "one/layer.tar", body: layer },
        { path: "two/", type: "Directory" },
        { path: "two/layer.tar", type: "SymbolicLink", linkpath: "../one/layer.tar" },
        { path: "c.json", body: config },
        { path: "manifest.json", body: JSON.stringify([{ Config: "c.json", RepoTags: ["docker.io/library/dup:latest"], Layers: ["one/layer.tar", "two/layer.tar"] }]) },
      ]),
    );
    expect(await loadArchive({ db, blobs: store }, out)).toEqual([{ id: sha(config), tags: ["dup:latest"] }]);
  });

  it("accepts an empty layer (docker commit with no change writes one)", async () => {
    const { out, id } = await dockerArchive([rawTar([])]);
    expect(await loadArchive({ db, blobs: store }, out)).toEqual([{ id, tags: ["x:1"] }]);
  });

  it("accepts gzip layers in a docker-archive and keeps them as they are", async () => {
    const { gzipSync } = await import("node:zlib");
    const plain = rawTar([{ path: "f", body: "x" }]);
    const gz = gzipSync(plain);
    const { out, id } = await dockerArchive([gz], { diffIds: [sha(plain)] });
    await loadArchive({ db, blobs: store }, out);
    expect((await loadImage(db, store, id)).manifest.layers[0]!.digest).toBe(sha(gz));
  });

  describe("refuses, leaving no blob, row or tag", () => {
    const refused = async (out: string, why: RegExp) => {
      const err = await loadArchive({ db, blobs: store }, out).catch((e: unknown) => e);
      expect(isInvalidArgument(err), String(err)).toBe(true);
      expect(String(err)).toMatch(why);
      expect(await storeIsEmpty(store)).toBe(true);
      expect(await db.image.count()).toBe(0);
      expect(await db.imageTag.count()).toBe(0);
    };

    it("a layer with a path that climbs out (tar-slip)", async () => {
      const good = rawTar([{ path: "ok", body: "fine" }]);
      const evil = rawTar([{ path: "../../etc/pwned", body: "x" }]);
      await refused((await dockerArchive([good, evil])).out, /contains "\.\."/);
    });

    it("a layer writing through a symlink an earlier layer made", async () => {
      const l1 = rawTar([{ path: "etc", type: "SymbolicLink", linkpath: "/host-etc" }]);
      const l2 = rawTar([{ path: "etc/passwd", body: "x" }]);
      await refused((await dockerArchive([l1, l2])).out, /through the symlink "etc"/);
    });

    it("a layer with an absolute path", async () => {
      await refused((await dockerArchive([rawTar([{ path: "/etc/pwned", body: "x" }])])).out, /absolute path/);
    });

    it("a hard link out of the root", async () => {
      await refused((await dockerArchive([rawTar([{ path: "x", type: "Link", linkpath: "../../etc/shadow" }])])).out, /"\.\."/);
    });

    it("a whiteout of ..", async () => {
      await refused((await dockerArchive([rawTar([{ path: "a/.wh..." }])])).out, /names no file/);
    });

    it("a layer whose diff_id is not the config's", async () => {
      await refused((await dockerArchive([rawTar([{ path: "f", body: "x" }])], { diffIds: [sha256("other")] })).out, /diff_id mismatch/);
    });

    it("an archive member named with ..", async () => {
      const out = file("slip.tar");
      await fs.writeFile(out, rawTar([{ path: "../manifest.json", body: "[]" }]));
      await refused(out, /leaves the archive/);
    });

    it("something that is not an image archive", async () => {
      const out = file("plain.tar");
      await fs.writeFile(out, rawTar([{ path: "hello", body: "x" }]));
      await refused(out, /neither manifest.json/);
    });
  });
});
