/**
 * Hard links in hostile layers must never reach a host file. A layer with a symlink
 * `evil -> /host/dir` and a hard link `leak -> evil/secret` would otherwise link the host
 * file's inode into a snapshot (and so into every container of the image). Each hostile
 * layer is fed through the real CLI three ways — `berth load` (a docker-archive made here),
 * `berth import`, and a push to Berth's registry over the raw /v2 API followed by
 * `berth pull` — and then run (which unpacks it). Every way must refuse it with an error
 * naming the entry, and the host marker file's link count must stay 1.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { Header } from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useInstance } from "./harness.js";
import { OCI_CONFIG, OCI_LAYER, OCI_MANIFEST, pushBlob, putManifest, sha256, token } from "./registry-helpers.js";

const b = useInstance();
let work = "";

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-layer-links-"));
});
afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/**
 * A fresh directory on the host holding the marker file `secret`, on the same filesystem as
 * BERTH_HOME (so a hard link could reach it), one per test so each test sees its own leak.
 */
function hostMarker(): { dir: string; marker: string } {
  const dir = fs.mkdtempSync(path.join(work, "host-"));
  const marker = path.join(dir, "secret");
  fs.writeFileSync(marker, "host secret\n");
  expect(fs.statSync(marker).nlink).toBe(1);
  return { dir, marker };
}

interface Entry {
  path: string;
  type?: "File" | "SymbolicLink" | "Link" | "Directory";
  linkpath?: string;
  body?: string | Buffer;
}

function tar(entries: Entry[]): Buffer {
  const out: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.isBuffer(e.body) ? e.body : Buffer.from(e.body ?? "");
    const block = Buffer.alloc(512);
    const type = e.type ?? "File";
    new Header({ path: e.path, type, size: body.length, mode: type === "Directory" ? 0o755 : 0o644, mtime: new Date(0), linkpath: e.linkpath ?? "" }).encode(block, 0);
    out.push(block, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}

/** The hostile layers, given the host directory and its marker file. */
const cases: [string, (hostDir: string, marker: string) => Entry[][]][] = [
  ["a symlink to a host directory, then a hard link through it", (hostDir) => [[{ path: "evil", type: "SymbolicLink", linkpath: hostDir }, { path: "leak", type: "Link", linkpath: "evil/secret" }]]],
  [
    "a chain of symlinks (absolute and relative) ending on the host",
    (hostDir) => [
      [
        { path: "a", type: "SymbolicLink", linkpath: "b" },
        { path: "b", type: "SymbolicLink", linkpath: "d/c" },
        { path: "d", type: "Directory" },
        { path: "d/c", type: "SymbolicLink", linkpath: `../../../../../../../../../..${hostDir}` },
        { path: "leak", type: "Link", linkpath: "a/secret" },
      ],
    ],
  ],
  ["a hard link to an absolute path", (_hostDir, marker) => [[{ path: "leak", type: "Link", linkpath: marker }]]],
  ["a hard link through a symlink of a lower layer", (hostDir) => [[{ path: "evil", type: "SymbolicLink", linkpath: hostDir }], [{ path: "leak", type: "Link", linkpath: "evil/secret" }]]],
  [
    "a hard link through a directory symlink of a lower layer, below a real directory",
    (hostDir) => [[{ path: "d", type: "Directory" }, { path: "d/up", type: "SymbolicLink", linkpath: `/../../../../../../../..${hostDir}` }], [{ path: "leak", type: "Link", linkpath: "d/up/secret" }]],
  ],
];

function dockerArchive(layers: Buffer[], tag: string): string {
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: { Cmd: ["/leak"] }, rootfs: { type: "layers", diff_ids: layers.map(sha256) } }));
  const file = path.join(work, `${randomBytes(4).toString("hex")}.tar`);
  fs.writeFileSync(
    file,
    tar([
      ...layers.map((l, i) => ({ path: `l${i}/layer.tar`, body: l })),
      { path: "config.json", body: config },
      { path: "manifest.json", body: JSON.stringify([{ Config: "config.json", RepoTags: [tag], Layers: layers.map((_, i) => `l${i}/layer.tar`) }]) },
    ]),
  );
  return file;
}

/** Runs `berth args`; returns its failure text, or "" when it succeeded. */
async function attempt(args: string[]): Promise<string> {
  const r = await b.berth(args, { timeoutMs: 120_000 });
  return r.code === 0 ? "" : `${r.stderr}${r.stdout}`;
}

interface Outcome {
  /** Where the image was refused: by the command that brought it in, or when a container was made from it. */
  at: "ingest" | "run" | "accepted";
  text: string;
}

/** Ingest, then create and start a container (which unpacks every layer). */
async function ingestThenRun(ingest: string[], ref: string): Promise<Outcome> {
  const refused = await attempt(ingest);
  if (refused) return { at: "ingest", text: refused };
  // The image has no program to run; what matters is that its layers get unpacked.
  const r = await b.berth(["create", "--name", `c-${randomBytes(4).toString("hex")}`, ref], { timeoutMs: 120_000 });
  if (r.code !== 0) return { at: "run", text: `${r.stderr}${r.stdout}` };
  const started = await b.berth(["start", r.stdout.trim()], { timeoutMs: 120_000 });
  return started.code === 0 ? { at: "accepted", text: "" } : { at: "run", text: `${started.stderr}${started.stdout}` };
}

/** Pushes an image of these layer tars to Berth's own registry over the raw /v2 API; returns the ref to pull. */
async function push(tars: Buffer[]): Promise<string> {
  const repo = `admin/evil-${randomBytes(3).toString("hex")}`;
  const { token: tok } = await token(b.url, [`repository:${repo}:push,pull`], { user: "admin", pass: b.token });
  const layers = tars.map((t) => gzipSync(t));
  for (const l of layers) await pushBlob(b.url, tok, repo, l);
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: { Cmd: ["/leak"] }, rootfs: { type: "layers", diff_ids: tars.map(sha256) } }));
  await pushBlob(b.url, tok, repo, config);
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: sha256(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: OCI_LAYER, digest: sha256(l), size: l.length })),
  };
  const put = await putManifest(b.url, tok, repo, "1", manifest);
  expect(put.status, put.body.toString()).toBe(201);
  return `127.0.0.1:${b.port}/${repo}:1`;
}

const pull = (ref: string) => ["pull", ref, "--creds", `admin:${b.token}`];

/** Every regular file under the instance's snapshots that shares the marker's inode. */
function snapshotLinksTo(marker: string): string[] {
  const { ino, dev } = fs.statSync(marker);
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const st = fs.lstatSync(p);
        if (st.ino === ino && st.dev === dev) out.push(p);
      }
    }
  };
  const root = path.join(b.home, "snapshots");
  if (fs.existsSync(root)) walk(root);
  return out;
}

function expectRefused(o: Outcome, marker: string, at: Outcome["at"]): void {
  expect(fs.statSync(marker).nlink, "the host file was linked into the image").toBe(1);
  expect(snapshotLinksTo(marker)).toEqual([]);
  expect(fs.readFileSync(marker, "utf8")).toBe("host secret\n");
  expect(o.at, `the hostile layer was accepted: ${o.text}`).toBe(at);
  // A clear refusal naming the layer (by digest; an imported tar is the one file given) and the entry.
  expect(o.text).toMatch(/"leak" is a hard link to /);
  expect(o.text).toMatch(/sha256:[0-9a-f]{64}|the imported tar/);
}

describe.each(cases)("%s", (_what, make) => {
  it("is refused by berth load", async () => {
    const { dir, marker } = hostMarker();
    const layers = make(dir, marker).map((l) => tar(l));
    const ref = `evil/load-${randomBytes(3).toString("hex")}:1`;
    expectRefused(await ingestThenRun(["load", "-i", dockerArchive(layers, ref)], ref), marker, "ingest");
  });

  it("is refused by berth import (all layers flattened into one tar)", async () => {
    const { dir, marker } = hostMarker();
    const file = path.join(work, `${randomBytes(4).toString("hex")}.tar`);
    fs.writeFileSync(file, tar(make(dir, marker).flat()));
    const ref = `evil/import-${randomBytes(3).toString("hex")}:1`;
    expectRefused(await ingestThenRun(["import", file, ref], ref), marker, "ingest");
  });

  it("is refused by berth pull after a push to the registry", async () => {
    const { dir, marker } = hostMarker();
    const ref = await push(make(dir, marker).map((l) => tar(l)));
    expectRefused(await ingestThenRun(pull(ref), ref), marker, "ingest");
  });
});

// A lower layer Berth already has is not checked again when an image using it comes in, so a
// hard link through its symlink passes the early check: unpacking must still refuse it.
describe("a hard link through a symlink of a lower layer Berth already has", () => {
  const layersFor = (hostDir: string) => [tar([{ path: "evil", type: "SymbolicLink", linkpath: hostDir }]), tar([{ path: "leak", type: "Link", linkpath: "evil/secret" }])];

  it("is refused when a container is made from it, after berth load", async () => {
    const { dir, marker } = hostMarker();
    const [lower, upper] = layersFor(dir) as [Buffer, Buffer];
    const first = `evil/lower-${randomBytes(3).toString("hex")}:1`;
    expect(await attempt(["load", "-i", dockerArchive([lower], first)])).toBe("");
    const ref = `evil/upper-${randomBytes(3).toString("hex")}:1`;
    expectRefused(await ingestThenRun(["load", "-i", dockerArchive([lower, upper], ref)], ref), marker, "run");
  });

  it("is refused when a container is made from it, after berth pull", async () => {
    const { dir, marker } = hostMarker();
    const [lower, upper] = layersFor(dir) as [Buffer, Buffer];
    expect(await attempt(pull(await push([lower])))).toBe("");
    const ref = await push([lower, upper]);
    expectRefused(await ingestThenRun(pull(ref), ref), marker, "run");
  });
});
