import { createHash, randomUUID } from "node:crypto";
import { constants as fsConstants, createReadStream, readFileSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { BerthError, chainIds, digestHex, FailedPrecondition, InvalidArgument, NotFound, parseImageRef } from "@berth/core";
import type { ContentStore } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import { readImage, Snapshots, storeLock, writeImage } from "../images/index.js";
import { packUpperDir } from "../images/diff.js";
import type { LayerBlob } from "../images/layer.js";
import { resolveUser } from "../containers/spec.js";
import { downloadForAdd, isUrl } from "./add-url.js";
import { BuildCache } from "./cache.js";
import { extractArchive } from "./context.js";
import { expand, parseDockerfile, parseKeyValues, splitWords, type Instruction, type Stage, type Vars } from "./parse.js";
import { runStep } from "./run-step.js";
import type { NetworkService } from "../network/index.js";
import { getEnv, setEnv, type StageConfig } from "./state.js";
import { StepRoot } from "./step-root.js";
import { MergedView } from "./view.js";

export interface BuildDeps {
  db: PrismaClient;
  blobs: ContentStore;
  snapshots: Snapshots;
  cache: BuildCache;
  hostId: string;
  /** The host's networks: RUN steps join the default bridge network through it (none without it). */
  network?: NetworkService;
  /** Progress text for the user (step headers, RUN output, CACHED, durations). */
  out: (text: string) => void;
  /** Aborted when the build is cancelled: checked before each step and before the tags move; kills a running RUN step. */
  signal?: AbortSignal;
  /** Extracts ADD's local archive into a directory (the worker's context process); in this process without it. */
  extract?: (archive: string, dir: string) => Promise<void>;
}

export interface BuildRequest {
  buildId: string;
  /** The unpacked context. */
  contextDir: string;
  /** Scratch space for this build (run dirs, staged COPYs); removed by the caller. */
  workDir: string;
  dockerfile: string;
  tags: string[];
  target?: string;
  buildArgs: Record<string, string>;
  noCache: boolean;
  /** `--network` of the RUN steps (default: the bridge network). */
  network?: "default" | "bridge" | "host" | "none";
  /** The team the tags belong to. */
  teamId?: string | undefined;
}

/** A failed step: kind FailedPrecondition, message naming the step and exit code. */
export class StepFailed extends FailedPrecondition {}

interface StageState {
  layers: LayerBlob[];
  config: StageConfig;
  key: string;
}

const DEFAULT_SHELL = ["/bin/sh", "-c"];
const arch = () => ({ x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x" })[process.arch as string] ?? process.arch;

/** Builds an image from a Dockerfile; returns the image id. The tags move only once the whole build succeeded. */
export async function build(d: BuildDeps, req: BuildRequest): Promise<{ id: string }> {
  const parsed = parseDockerfile(req.dockerfile);
  let stages = parsed.stages;
  if (req.target) {
    const t = stages.findIndex((s) => s.name === req.target!.toLowerCase());
    if (t < 0) throw new InvalidArgument(`target stage "${req.target}" could not be found`);
    stages = stages.slice(0, t + 1);
  }
  // Global ARGs (before the first FROM): usable in FROM lines, and as defaults for a stage's bare `ARG NAME`.
  const global = new Map<string, string>();
  for (const a of parsed.globalArgs) {
    for (const [k, v] of argDecls(a, (n) => global.get(n))) {
      const val = req.buildArgs[k] ?? v;
      if (val !== undefined) global.set(k, val);
    }
  }
  const total = stages.reduce((n, s) => n + 1 + s.steps.length, 0);
  let stepNo = 0;
  const done = new Map<string | number, StageState>();
  const present = new Set<string>();
  return storeLock.shared(async () => {
    let last: StageState | undefined;
    for (const stage of stages) {
      const b = new StageBuilder(d, req, stage, global, done, () => ++stepNo, total, present);
      last = await b.run();
      done.set(stage.index, last);
      if (stage.name) done.set(stage.name, last);
    }
    d.signal?.throwIfAborted();
    const st = last!;
    const config = {
      ...st.config,
      created: st.config.history.at(-1)?.created ?? new Date().toISOString(),
      rootfs: { type: "layers" as const, diff_ids: st.layers.map((l) => l.diffId) },
    };
    const img = await writeImage(d.db, d.blobs, { config: Buffer.from(JSON.stringify(config)), layers: st.layers.map((l) => l.descriptor), tags: req.tags, teamId: req.teamId });
    d.out(`Successfully built ${img.id.slice(7, 19)}\n`);
    for (const t of req.tags) d.out(`Successfully tagged ${t}\n`);
    return { id: img.id };
  });
}

function argDecls(ins: Instruction, vars: Vars): [string, string | undefined][] {
  return splitWords(ins.text, vars).map((w) => {
    const eq = w.indexOf("=");
    return eq < 0 ? [w, undefined] : [w.slice(0, eq), w.slice(eq + 1)];
  });
}

class StageBuilder {
  private state!: StageState;
  private readonly args = new Map<string, string>();
  private cmdSet = false;

  constructor(
    private readonly d: BuildDeps,
    private readonly req: BuildRequest,
    private readonly stage: Stage,
    private readonly global: Map<string, string>,
    private readonly done: Map<string | number, StageState>,
    private readonly nextStep: () => number,
    private readonly total: number,
    /** Layer blobs seen in the store during this build (under the store lock nothing removes them): step N's check need not repeat step N-1's. */
    private readonly present: Set<string>,
  ) {}

  /** ENV first, then ARGs in scope (Docker: ENV wins). */
  private vars: Vars = (name) => getEnv(this.state.config.config, name) ?? this.args.get(name);

  async run(): Promise<StageState> {
    const from = this.stage.from;
    const t0 = Date.now();
    this.d.out(`Step ${this.nextStep()}/${this.total} : ${from.source}\n`);
    const ref = splitWords(from.text, (n) => this.global.get(n))[0]!;
    this.state = await this.base(ref, from);
    // The base's ONBUILD triggers run right after FROM, in order, as if written there; the
    // stage's own image does not inherit them (base() dropped them from the config).
    const triggers = this.triggers(this.baseTriggers, from);
    if (triggers.length) this.d.out(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? "s" : ""}\n`);
    for (const t of triggers) await this.step(t, true);
    this.d.out(` ---> ${this.state.key.replace(/^sha256:/, "").slice(0, 12)} (${secs(t0)})\n`);
    for (const ins of this.stage.steps) await this.step(ins);
    return this.state;
  }

  private baseTriggers: string[] = [];
  private triggerCount = 0;

  /** The base image's triggers as instructions, checked as Docker checks them; errors name the FROM line. */
  private triggers(texts: string[], from: Instruction): Instruction[] {
    return texts.map((text) => {
      let ins: Instruction | undefined;
      try {
        ins = parseDockerfile(`FROM scratch\n${text}\n`).stages[0]!.steps[0];
      } catch (e) {
        throw new InvalidArgument(`Dockerfile line ${from.line}: the base image's ONBUILD trigger "${text}" is invalid: ${(e as Error).message.replace(/^Dockerfile line \d+: /, "")}`);
      }
      const kw = ins?.keyword ?? "";
      if (!ins || kw === "ONBUILD" || kw === "FROM" || kw === "MAINTAINER") throw new InvalidArgument(`Dockerfile line ${from.line}: the base image's ONBUILD trigger "${text}" is not allowed (${kw || "empty"} as a trigger)`);
      return { ...ins, line: from.line };
    });
  }

  private async base(ref: string, ins: Instruction): Promise<StageState> {
    const empty = (): StageConfig => ({ architecture: arch(), os: "linux", config: {}, history: [] });
    if (ref.toLowerCase() === "scratch") return { layers: [], config: empty(), key: BuildCache.key(["scratch"]) };
    const prev = this.done.get(ref.toLowerCase());
    if (prev) {
      const st = structuredClone(prev);
      this.baseTriggers = st.config.config.OnBuild ?? [];
      delete st.config.config.OnBuild;
      return st;
    }
    let row: { id: string; manifestDigest: string } | null | undefined;
    const select = { id: true, manifestDigest: true } as const;
    // Only what the building team sees: its own tags and shared bases (another team's image reads as missing).
    const team = this.req.teamId;
    const visibleTag = team ? { OR: [{ teamId: team }, { teamId: null }] } : {};
    const visibleImage = team ? { OR: [{ tags: { some: visibleTag } }, { containers: { some: { teamId: team } } }] } : {};
    try {
      const r = parseImageRef(ref);
      if (r.digest) row = await this.d.db.image.findFirst({ where: { AND: [{ OR: [{ manifestDigest: r.digest }, { id: r.digest }] }, visibleImage] }, select });
      else row = (await this.d.db.imageTag.findFirst({ where: { ref: `${r.name}:${r.tag}`, ...visibleTag }, select: { image: { select } } }))?.image;
    } catch (e) {
      throw new InvalidArgument(`Dockerfile line ${ins.line}: ${(e as Error).message}`);
    }
    if (!row) throw new NotFound(`Dockerfile line ${ins.line}: FROM ${ref}: no such image (pull or load it first)`);
    const id = row.id;
    const img = await readImage(this.d.blobs, row);
    const diffIds = img.config.rootfs.diff_ids;
    const layers = img.manifest.layers.map((descriptor, i) => ({ descriptor, diffId: diffIds[i]!, tarSize: 0 }));
    const { rootfs: _r, ...rest } = img.config as unknown as StageConfig & { rootfs: unknown };
    const config: StageConfig = { ...empty(), ...rest, config: { ...(rest.config ?? {}) }, history: [...(rest.history ?? [])] };
    // Run by run() after FROM; not inherited by this stage's image.
    this.baseTriggers = config.config.OnBuild ?? [];
    delete config.config.OnBuild;
    return { layers, config, key: id };
  }

  private async lowerdirs(st: StageState = this.state): Promise<string[]> {
    return this.d.snapshots.prepare(
      st.layers.map((l) => l.descriptor),
      st.layers.map((l) => l.diffId),
      this.d.blobs,
    );
  }

  private async step(ins: Instruction, trigger = false): Promise<void> {
    this.d.signal?.throwIfAborted();
    const t0 = Date.now();
    const n = trigger ? `s${this.stage.index}-onbuild-${++this.triggerCount}` : this.nextStep();
    this.d.out(trigger ? ` ---> Trigger: ${ins.source}\n` : `Step ${n}/${this.total} : ${ins.source}\n`);
    if (ins.keyword === "ARG") {
      // Declares args in scope; changes the cache key of the steps after it.
      for (const [k, v] of argDecls(ins, this.vars)) {
        const val = this.req.buildArgs[k] ?? v ?? this.global.get(k);
        if (val !== undefined) this.args.set(k, val);
        else this.args.delete(k);
      }
    }
    let contentHash: string | undefined;
    let sources: Source[] | undefined;
    if (ins.keyword === "COPY" || ins.keyword === "ADD") {
      sources = await this.sources(ins);
      contentHash = await hashSources(sources);
    }
    const argsInScope = [...this.args.entries()].sort();
    // A RUN under --network none/host can behave differently: its own cache entry (default keys unchanged).
    const mode = this.req.network ?? "default";
    const netKey = ins.keyword === "RUN" && (mode === "none" || mode === "host") ? [mode] : [];
    const key = BuildCache.key([this.state.key, ins.source, argsInScope, contentHash ?? null, this.cmdSet, ...netKey]);
    if (!this.req.noCache) {
      const hit = await this.d.cache.get(key);
      if (hit && (await this.blobsPresent(hit.layers))) {
        this.state = { layers: hit.layers, config: hit.config, key };
        if (ins.keyword === "CMD") this.cmdSet = true;
        this.d.out(` ---> CACHED\n`);
        return;
      }
    }
    const config = structuredClone(this.state.config);
    const layers = [...this.state.layers];
    let layer: LayerBlob | undefined;
    const stepDir = path.join(this.req.workDir, `step-${n}`);
    try {
      layer = await this.execute(ins, config, stepDir, sources);
    } finally {
      // Retries: the context process may still be closing a file of an archive it refused.
      await fs.rm(stepDir, { recursive: true, force: true, maxRetries: 5 });
    }
    if (layer) layers.push(layer);
    config.history.push({ created: new Date().toISOString(), created_by: ins.source, ...(layer ? {} : { empty_layer: true }), comment: "berth build" });
    this.state = { layers, config, key };
    await this.d.cache.put(key, { layers, config });
    this.d.out(` ---> ${layer ? layer.diffId.slice(7, 19) : "metadata"} (${secs(t0)})\n`);
  }

  private async blobsPresent(layers: LayerBlob[]): Promise<boolean> {
    for (const l of layers) {
      const digest = l.descriptor.digest;
      if (this.present.has(digest)) continue;
      if (!(await this.d.blobs.has(digest))) return false;
      this.present.add(digest);
    }
    return true;
  }

  /** Applies one instruction to `config`; returns the layer it made, if any. */
  private async execute(ins: Instruction, config: StageConfig, stepDir: string, sources?: Source[]): Promise<LayerBlob | undefined> {
    const c = config.config;
    const v = this.vars;
    const where = `Dockerfile line ${ins.line}`;
    switch (ins.keyword) {
      case "ARG":
        return undefined;
      case "ENV":
        for (const [k, val] of parseKeyValues(ins.text, true, v)) setEnv(c, k, val);
        return undefined;
      case "LABEL":
        c.Labels = { ...(c.Labels ?? {}), ...Object.fromEntries(parseKeyValues(ins.text, false, v)) };
        return undefined;
      case "MAINTAINER":
        config.author = ins.text;
        return undefined;
      case "USER":
        c.User = expand(ins.text, v);
        return undefined;
      case "WORKDIR": {
        const dir = path.posix.resolve(c.WorkingDir || "/", expand(ins.text, v));
        c.WorkingDir = dir;
        return this.ensureDir(dir, stepDir);
      }
      case "EXPOSE":
        c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
        for (const p of splitWords(ins.text, v)) {
          if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/i.test(p)) throw new InvalidArgument(`${where}: invalid port "${p}"`);
          c.ExposedPorts[p.includes("/") ? p.toLowerCase() : `${p}/tcp`] = {};
        }
        return undefined;
      case "VOLUME":
        c.Volumes = { ...(c.Volumes ?? {}) };
        for (const p of ins.json ?? splitWords(ins.text, v)) c.Volumes[p] = {};
        return undefined;
      case "STOPSIGNAL":
        c.StopSignal = expand(ins.text, v);
        return undefined;
      case "SHELL":
        if (!ins.json?.length) throw new InvalidArgument(`${where}: SHELL requires the arguments to be in JSON form`);
        c.Shell = ins.json;
        return undefined;
      case "CMD":
        c.Cmd = this.command(ins, c.Shell);
        this.cmdSet = true;
        return undefined;
      case "ENTRYPOINT":
        c.Entrypoint = this.command(ins, c.Shell);
        if (!this.cmdSet) c.Cmd = null;
        return undefined;
      case "ONBUILD":
        c.OnBuild = [...(c.OnBuild ?? []), ins.text];
        return undefined;
      case "HEALTHCHECK": {
        const words = splitWords(ins.text);
        if (words[0]?.toUpperCase() === "NONE") {
          c.Healthcheck = { Test: ["NONE"] };
          return undefined;
        }
        const m = /^\s*CMD\s+([\s\S]*)$/i.exec(ins.text);
        if (!m) throw new InvalidArgument(`${where}: HEALTHCHECK takes [OPTIONS] CMD command, or NONE`);
        const rest = m[1]!.trim();
        let json: string[] | undefined;
        try {
          const p = JSON.parse(rest) as unknown;
          if (Array.isArray(p)) json = p as string[];
        } catch {
          /* shell form */
        }
        const dur = (k: string) => (ins.flags[k] ? parseDuration(ins.flags[k]!, where) : undefined);
        c.Healthcheck = {
          Test: json ? ["CMD", ...json] : ["CMD-SHELL", rest],
          ...(dur("interval") !== undefined ? { Interval: dur("interval") } : {}),
          ...(dur("timeout") !== undefined ? { Timeout: dur("timeout") } : {}),
          ...(dur("start-period") !== undefined ? { StartPeriod: dur("start-period") } : {}),
          ...(ins.flags.retries ? { Retries: Number(ins.flags.retries) } : {}),
        };
        return undefined;
      }
      case "RUN":
        return this.runInstruction(ins, config, stepDir);
      case "COPY":
      case "ADD":
        return this.copy(ins, config, stepDir, sources!);
      default:
        throw new InvalidArgument(`${where}: ${ins.keyword} is not supported`);
    }
  }

  private command(ins: Instruction, shell?: string[]): string[] {
    return ins.json ?? [...(shell ?? DEFAULT_SHELL), ins.text];
  }

  private async runInstruction(ins: Instruction, config: StageConfig, stepDir: string): Promise<LayerBlob> {
    const c = config.config;
    const lowerdirs = await this.lowerdirs();
    const env = [...(c.Env ?? [])];
    for (const [k, val] of this.args) if (!env.some((e) => e.startsWith(`${k}=`))) env.push(`${k}=${val}`);
    const args = this.command(ins, c.Shell);
    const r = await runStep({
      lowerdirs,
      dir: stepDir,
      args,
      env,
      cwd: c.WorkingDir || "/",
      user: c.User ?? "",
      cgroup: `berth-${this.d.hostId}/build-${this.req.buildId.slice(0, 8)}-${path.basename(stepDir)}`,
      onOutput: (t) => this.d.out(t),
      ...(this.d.signal ? { signal: this.d.signal } : {}),
      ...(this.d.network ? { network: { service: this.d.network, mode: this.req.network ?? "default" } } : {}),
    }).catch((e: unknown) => {
      if (e instanceof BerthError) throw e;
      throw new StepFailed(`${ins.source} (Dockerfile line ${ins.line}): could not start: ${(e as Error).message}`);
    });
    this.d.signal?.throwIfAborted();
    if (r.exitCode !== 0) {
      throw new StepFailed(`The command '${args.join(" ")}' returned a non-zero code: ${r.exitCode} (step "${ins.source}", Dockerfile line ${ins.line})`);
    }
    return this.commitDir(r.upper, false);
  }

  /**
   * Packs a step's directory (a RUN's upper dir, or a tree COPY assembled) as a layer, then
   * keeps the directory itself as that layer's snapshot (containerd's commit: an upper dir is
   * already the layer in overlay form), so the next step need not unpack what it just packed.
   */
  private async commitDir(dir: string, assembled: boolean): Promise<LayerBlob> {
    const layer = await packUpperDir(dir, this.d.blobs, { noOpaque: assembled });
    const chain = chainIds([...this.state.layers.map((l) => l.diffId), layer.diffId]).at(-1)!;
    const final = path.join(this.d.snapshots.root, digestHex(chain));
    if (!(await fs.stat(final).catch(() => undefined))) {
      const tmp = `${final}.tmp-${randomUUID()}`;
      try {
        await fs.mkdir(tmp);
        await fs.rename(dir, path.join(tmp, "fs"));
        await fs.rename(tmp, final);
      } catch {
        // Another build made it first (theirs is as good), or the dir could not move: prepare() unpacks.
        await fs.rm(tmp, { recursive: true, force: true });
      }
    }
    return layer;
  }

  /** WORKDIR makes its directory when the chain does not have it (a one-directory layer). */
  private async ensureDir(dir: string, stepDir: string): Promise<LayerBlob | undefined> {
    const lowers = await this.lowerdirs();
    const view = await MergedView.open(lowers, false);
    if ((await view.lookup(dir))?.st.isDirectory()) return undefined;
    const root = path.join(stepDir, "layer");
    await fs.mkdir(path.join(root, dir), { recursive: true, mode: 0o755 });
    return this.commitDir(root, true);
  }

  /** What a COPY/ADD reads: the matching paths of the context or of another stage. */
  private async sources(ins: Instruction): Promise<Source[]> {
    const where = `Dockerfile line ${ins.line}`;
    const words = ins.json ?? splitWords(ins.text, this.vars);
    if (words.length < 2) throw new InvalidArgument(`${where}: ${ins.keyword} requires at least two arguments: SRC... DEST`);
    const srcs = words.slice(0, -1);
    let view: MergedView;
    const from = ins.flags.from ? expand(ins.flags.from, this.vars) : undefined;
    if (from) {
      const st = this.done.get(from.toLowerCase()) ?? this.done.get(/^\d+$/.test(from) ? Number(from) : from);
      let layers: string[];
      if (st) layers = await this.lowerdirs(st);
      else {
        const b = await this.base(from, ins);
        layers = await this.lowerdirs(b);
      }
      view = await MergedView.open(layers);
    } else view = await MergedView.open([this.req.contextDir], false);
    const out: Source[] = [];
    for (const s of srcs) {
      if (isUrl(s)) {
        if (ins.keyword !== "ADD") throw new InvalidArgument(`${where}: COPY cannot read from a URL (${s}): use ADD`);
        if (from) throw new InvalidArgument(`${where}: ADD --from cannot read from a URL (${s})`);
        const dl = await downloadForAdd(s, path.join(this.req.workDir, "downloads"), where);
        out.push({ rel: dl.name, view: await MergedView.open([dl.dir], false), url: { key: dl.key, named: dl.named, text: s } });
        continue;
      }
      const rel = path.posix.normalize(`/${s}`).slice(1);
      const matches = /[*?[]/.test(rel) ? await view.glob(rel) : (await view.lookup(rel)) ? [rel] : [];
      if (matches.length === 0) throw new InvalidArgument(`${where}: ${ins.keyword} failed: file not found in ${from ? `stage ${from}` : "build context"}: ${s}`);
      for (const m of matches) out.push({ rel: m, view });
    }
    return out;
  }

  private async copy(ins: Instruction, config: StageConfig, stepDir: string, sources: Source[]): Promise<LayerBlob> {
    const where = `Dockerfile line ${ins.line}`;
    const words = ins.json ?? splitWords(ins.text, this.vars);
    const rawDest = words.at(-1)!;
    const dest = path.posix.resolve(config.config.WorkingDir || "/", rawDest);
    // Into DEST/ when it says so, when there are several sources, or when DEST is a directory already.
    let destDir = rawDest.endsWith("/") || rawDest === "." || sources.length > 1;
    if (!destDir) destDir = !!(await (await MergedView.open(await this.lowerdirs())).lookup(dest))?.st.isDirectory();
    let owner = { uid: 0, gid: 0 };
    if (ins.flags.chown) owner = await resolveUser(expand(ins.flags.chown, this.vars), await this.lowerdirs());
    const root = path.join(stepDir, "layer");
    await fs.mkdir(root, { recursive: true });
    // Every write goes through the step's root: a symlink one source put there cannot lead another out of it.
    const out = new StepRoot(root);
    const isAdd = ins.keyword === "ADD";
    for (const src of sources) {
      const found = (await src.view.lookup(src.rel))!;
      if (found.st.isDirectory()) {
        await copyTree(src.view, src.rel, out, out.mkdirp(dest), owner);
        continue;
      }
      if (src.url && destDir && !src.url.named) throw new InvalidArgument(`${where}: ADD: cannot determine a file name from the URL ${src.url.text}: give DEST as a file path`);
      const target = destDir ? path.posix.join(dest, path.posix.basename(src.rel)) : dest;
      // A downloaded archive stays as it is (Docker extracts only local ones).
      if (isAdd && !ins.flags.from && !src.url && (await isTarArchive(found.abs))) {
        // Within the context limits, in the context process; node-tar refuses to extract through a symlink below the directory.
        await (this.d.extract ?? extractArchive)(found.abs, out.mkdirp(dest));
        continue;
      }
      const dir = out.mkdirp(path.posix.dirname(target));
      await copyEntry(found.abs, found.st, out.place(dir, path.posix.basename(target)), owner);
    }
    if (!(await fs.readdir(root)).length) throw new InvalidArgument(`${where}: nothing to copy`);
    return this.commitDir(root, true);
  }
}

interface Source {
  rel: string;
  view: MergedView;
  /** ADD from a URL: the download's cache key; `named` when the URL gave the file a name. */
  url?: { key: string; named: boolean; text: string };
}

/** A COPY source up to this size is hashed from one read. */
const SMALL_FILE = 64 * 1024;

/** sha256 over every file a COPY reads: path, type, mode and content (not timestamps). */
async function hashSources(sources: Source[]): Promise<string> {
  const h = createHash("sha256");
  const visit = async (view: MergedView, rel: string) => {
    const f = await view.lookup(rel);
    if (!f) return;
    h.update(`${rel}\0${f.st.mode}\0`);
    if (f.st.isDirectory()) {
      for (const n of await view.readdir(rel)) await visit(view, rel ? `${rel}/${n}` : n);
    } else if (f.st.isSymbolicLink()) h.update(await fs.readlink(f.abs));
    else if (f.st.isFile()) {
      // A small file in one read (a stream costs several thread-pool round trips before its first byte).
      if (f.st.size <= SMALL_FILE) h.update(readFileSync(f.abs));
      else for await (const chunk of createReadStream(f.abs)) h.update(chunk as Buffer);
    }
    h.update("\0");
  };
  for (const s of sources) {
    if (s.url) h.update(`${s.url.key}\0`);
    await visit(s.view, s.rel);
  }
  return h.digest("hex");
}

/** Copies one file or symlink to `to`, a name StepRoot.place cleared (nothing there to follow). */
async function copyEntry(abs: string, st: import("node:fs").Stats, to: string, owner: { uid: number; gid: number }): Promise<void> {
  if (st.isSymbolicLink()) await fs.symlink(await fs.readlink(abs), to);
  else if (st.isFile()) {
    // COPYFILE_EXCL: O_CREAT|O_EXCL, which never follows a symlink at `to`.
    await fs.copyFile(abs, to, fsConstants.COPYFILE_EXCL);
    await fs.chmod(to, st.mode & 0o7777);
  } else return;
  await fs.lchown(to, owner.uid, owner.gid);
  await fs.lutimes(to, st.atime, st.mtime);
}

/**
 * Copies the directory `rel` of a view into the real directory `to` of the step's root, one
 * directory at a time (a tree may nest deep): subdirectories entered through StepRoot, files
 * and links placed by it; each directory's mode, owner and times set after its contents.
 */
async function copyTree(view: MergedView, rel: string, out: StepRoot, to: string, owner: { uid: number; gid: number }): Promise<void> {
  const finish: { st: import("node:fs").Stats; dir: string }[] = [];
  const pending = [{ rel, to }];
  for (let d = pending.pop(); d; d = pending.pop()) {
    const self = await view.lookup(d.rel);
    if (self) finish.push({ st: self.st, dir: d.to });
    for (const n of await view.readdir(d.rel)) {
      const r = d.rel ? `${d.rel}/${n}` : n;
      const f = await view.lookup(r);
      if (!f) continue;
      if (f.st.isDirectory()) pending.push({ rel: r, to: out.enter(d.to, n) });
      else if (f.st.isFile() || f.st.isSymbolicLink()) await copyEntry(f.abs, f.st, out.place(d.to, n), owner);
    }
  }
  // Deepest first, so setting a directory's times is not undone by writing into it.
  for (const { st, dir } of finish.reverse()) {
    await fs.chmod(dir, st.mode & 0o7777);
    await fs.lchown(dir, owner.uid, owner.gid);
    await fs.lutimes(dir, st.atime, st.mtime);
  }
}

/** gzip, bzip2, xz magic, or a ustar header: ADD extracts these. */
async function isTarArchive(file: string): Promise<boolean> {
  const fh = await fs.open(file, "r");
  try {
    const buf = Buffer.alloc(512);
    const { bytesRead } = await fh.read(buf, 0, 512, 0).catch(() => ({ bytesRead: 0 }));
    if (bytesRead >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) return true;
    if (bytesRead >= 262 && buf.subarray(257, 262).toString("latin1") === "ustar") return true;
    return false;
  } finally {
    await fh.close();
  }
}

function parseDuration(s: string, where: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(s);
  if (!m) throw new InvalidArgument(`${where}: invalid duration "${s}"`);
  const unit = { ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }[m[2] as "ms" | "s" | "m" | "h"];
  return Math.round(Number(m[1]) * unit);
}

const secs = (t0: number) => `${((Date.now() - t0) / 1000).toFixed(2)}s`;
