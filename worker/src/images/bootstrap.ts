import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { FailedPrecondition, InvalidArgument, type ImageConfig } from "@berth/core";
import type { ContentStore } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import { goArch } from "./busybox.js";
import { packUpperDir } from "./diff.js";
import { storeLock } from "./lock.js";
import { writeImage } from "./store.js";

export const DEBOOTSTRAP = "/usr/sbin/debootstrap";
const SCRIPTS = "/usr/share/debootstrap/scripts";
export const FALLBACK_MIRROR = "http://deb.debian.org/debian";
/** Debian's codenames and suite names: an apt source for one of these is a Debian mirror. */
const DEBIAN_SUITES = new Set([
  "buzz", "rex", "bo", "hamm", "slink", "potato", "woody", "sarge", "etch", "lenny", "squeeze", "wheezy", "jessie", "stretch", "buster",
  "bullseye", "bookworm", "trixie", "forky", "duke", "sid", "stable", "testing", "unstable", "oldstable", "oldoldstable",
]);

export interface AptSource {
  uri: string;
  suite: string;
  components: string[];
}

/** `deb [opts] URI SUITE COMP…` lines of a .list file. */
function parseList(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(line);
    if (m) out.push({ uri: m[1]!, suite: m[2]!, components: (m[3] ?? "").split(/\s+/).filter(Boolean) });
  }
  return out;
}

/** deb822 stanzas of a .sources file (Types/URIs/Suites/Components/Enabled). */
function parseSources(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const f = new Map<string, string>();
    let key = "";
    for (const raw of stanza.split("\n")) {
      if (raw.startsWith("#")) continue;
      if (/^\s/.test(raw) && key) {
        f.set(key, `${f.get(key)} ${raw.trim()}`);
        continue;
      }
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(raw);
      if (m) f.set((key = m[1]!.toLowerCase()), m[2]!.trim());
    }
    if (!(f.get("types") ?? "").split(/\s+/).includes("deb")) continue;
    if ((f.get("enabled") ?? "yes").toLowerCase() === "no") continue;
    const comps = (f.get("components") ?? "").split(/\s+/).filter(Boolean);
    for (const uri of (f.get("uris") ?? "").split(/\s+/).filter(Boolean))
      for (const suite of (f.get("suites") ?? "").split(/\s+/).filter(Boolean)) out.push({ uri, suite, components: comps });
  }
  return out;
}

/**
 * The Debian mirror among apt source files ({name, text}, as in /etc/apt/sources.list and
 * sources.list.d/*.list|*.sources): the first http(s) `deb` source whose suite is a Debian one
 * (not -security, -updates or -backports, which live elsewhere or lack a full base system).
 */
export function detectMirror(files: { name: string; text: string }[]): string | undefined {
  for (const f of files) {
    const sources = f.name.endsWith(".sources") ? parseSources(f.text) : f.name.endsWith(".list") ? parseList(f.text) : [];
    for (const s of sources) {
      if (!/^https?:\/\//.test(s.uri)) continue;
      if (!DEBIAN_SUITES.has(s.suite)) continue;
      if (!s.components.includes("main")) continue;
      return s.uri.replace(/\/+$/, "");
    }
  }
  return undefined;
}

/** Reads the host's apt sources, sources.list first, then sources.list.d in name order. */
export async function hostAptSources(etcApt = "/etc/apt"): Promise<{ name: string; text: string }[]> {
  const files: { name: string; text: string }[] = [];
  const main = await fs.readFile(path.join(etcApt, "sources.list"), "utf8").catch(() => undefined);
  if (main !== undefined) files.push({ name: "sources.list", text: main });
  const dir = path.join(etcApt, "sources.list.d");
  for (const name of (await fs.readdir(dir).catch(() => [] as string[])).sort()) {
    if (!name.endsWith(".list") && !name.endsWith(".sources")) continue;
    files.push({ name, text: await fs.readFile(path.join(dir, name), "utf8").catch(() => "") });
  }
  return files;
}

export interface BootstrapDeps {
  db: PrismaClient;
  blobs: ContentStore;
  /** Scratch space for the root (removed afterwards). */
  scratchDir: string;
  /** debootstrap's package cache, so a remake downloads nothing. */
  cacheDir: string;
}

const inFlight = new Map<string, Promise<{ id: string; ref: string; cached: boolean; mirror?: string }>>();

/**
 * `image bootstrap debian:<suite>`: a minbase Debian root made by debootstrap from the host's
 * mirror, as a one-layer image under that tag. Made once: an existing tag is returned as is
 * (`rmi` it to remake; the downloaded packages stay cached). Concurrent requests share one run.
 */
export function bootstrapDebian(d: BootstrapDeps, ref: string, o: { mirror?: string | undefined; onLine?: (line: string) => void } = {}) {
  let p = inFlight.get(ref);
  if (!p) {
    p = make(d, ref, o).finally(() => inFlight.delete(ref));
    inFlight.set(ref, p);
  }
  return p;
}

async function make(d: BootstrapDeps, ref: string, o: { mirror?: string | undefined; onLine?: (line: string) => void }) {
  const m = /^debian:([a-z][a-z0-9-]*)$/.exec(ref);
  if (!m) throw new InvalidArgument(`cannot bootstrap "${ref}": only debian:<suite> (e.g. debian:bookworm)`);
  const suite = m[1]!;
  const tag = `${ref}`;
  const existing = await d.db.imageTag.findUnique({ where: { ref: tag } });
  if (existing) return { id: existing.imageId, ref: tag, cached: true };
  await fs.access(DEBOOTSTRAP).catch(() => {
    throw new FailedPrecondition(`debootstrap is not installed on this host (${DEBOOTSTRAP}): apt-get install debootstrap`);
  });
  await fs.access(path.join(SCRIPTS, suite)).catch(() => {
    throw new InvalidArgument(`debootstrap does not know the suite "${suite}"`);
  });
  const mirror = o.mirror ?? detectMirror(await hostAptSources()) ?? FALLBACK_MIRROR;
  const say = o.onLine ?? (() => undefined);
  say(`Bootstrapping ${tag} from ${mirror}`);
  await fs.mkdir(d.scratchDir, { recursive: true });
  await fs.mkdir(d.cacheDir, { recursive: true });
  const target = path.join(d.scratchDir, `bootstrap-${randomUUID()}`);
  try {
    const args = ["--variant=minbase", `--cache-dir=${d.cacheDir}`, suite, target, mirror];
    const tail: string[] = [];
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(DEBOOTSTRAP, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LC_ALL: "C", DEBIAN_FRONTEND: "noninteractive" } });
      for (const s of [child.stdout, child.stderr]) {
        createInterface({ input: s }).on("line", (line) => {
          tail.push(line);
          if (tail.length > 20) tail.shift();
          say(line);
        });
      }
      child.once("error", reject);
      child.once("close", resolve);
    });
    if (code !== 0) throw new FailedPrecondition(`debootstrap ${args.join(" ")} exited with ${code}:\n${tail.join("\n")}`);
    // What a container image should not carry from the bootstrap host.
    await Promise.all(
      ["var/cache/apt/archives/partial", "var/lib/apt/lists/partial"].map((p) => fs.mkdir(path.join(target, p), { recursive: true })),
    );
    for (const p of ["var/log/bootstrap.log", "debootstrap"]) await fs.rm(path.join(target, p), { recursive: true, force: true });
    say("Packing the root filesystem into a layer");
    return await storeLock.shared(async () => {
      const layer = await packUpperDir(target, d.blobs, { noOpaque: true });
      const created = new Date().toISOString();
      const config: ImageConfig = {
        created,
        architecture: goArch(),
        os: "linux",
        config: { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["bash"] },
        rootfs: { type: "layers", diff_ids: [layer.diffId] },
        history: [{ created, created_by: `berth image bootstrap ${tag}: debootstrap --variant=minbase ${suite} ${mirror}` }],
      };
      const { id } = await writeImage(d.db, d.blobs, { config: Buffer.from(JSON.stringify(config)), layers: [layer.descriptor], tags: [tag] });
      say(`${tag}: ${id}`);
      return { id, ref: tag, cached: false, mirror };
    });
  } finally {
    await fs.rm(target, { recursive: true, force: true });
  }
}
