/**
 * sha256 (or sha512) of a big stream on another thread: hashing a multi-GB layer on the JS thread keeps
 * that one core busy while the disk waits, and competes with everything else the process does.
 * One long-lived worker thread hashes any number of streams (by id). Bytes are gathered into
 * BATCH-sized slots of one SharedArrayBuffer (one memcpy each); the thread is told which slot to
 * hash and gives it back. A message per 64 KiB socket chunk, and a fresh copy for each, cost the
 * JS thread more than the hash itself; moving ArrayBuffers to the thread and back (as before)
 * made a new one per batch on each side, and V8 answers that much external memory with a full
 * garbage collection every ~64 MB: several per layer, in a web process with a big heap. When
 * every slot is in flight (several big streams at once), a batch goes as a plain ArrayBuffer.
 * At most WINDOW bytes may be in flight per stream, so memory stays bounded when the disk is
 * faster than the hash.
 */
import { Worker } from "node:worker_threads";

const WINDOW = 32 << 20;
const BATCH = 1 << 20;
const SLOTS = 32;
/** The slots, made with the thread; the free ones by index. */
let shared: SharedArrayBuffer | undefined;
const free: number[] = [];

const SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const hashes = new Map();
let shared;
parentPort.on("message", (m) => {
  if (m.shared) shared = m.shared;
  else if (m.algorithm) hashes.set(m.id, createHash(m.algorithm));
  else if (m.len !== undefined) {
    let h = hashes.get(m.id);
    if (!h) hashes.set(m.id, (h = createHash("sha256")));
    h.update(m.buf ? new Uint8Array(m.buf, 0, m.len) : new Uint8Array(shared, m.slot * ${BATCH}, m.len));
    parentPort.postMessage({ id: m.id, ack: m.len, slot: m.slot });
  } else if (m.end) {
    const h = hashes.get(m.id) || createHash("sha256");
    hashes.delete(m.id);
    parentPort.postMessage({ id: m.id, digest: h.digest("hex") });
  } else if (m.drop) hashes.delete(m.id);
});
`;

interface Pending {
  inFlight: number;
  waiters: (() => void)[];
  done?: (hex: string) => void;
  fail: (e: Error) => void;
}

let worker: Worker | undefined;
const streams = new Map<number, Pending>();
let nextId = 1;

function thread(): Worker {
  if (worker) return worker;
  const w = new Worker(SOURCE, { eval: true, name: "berth-sha256" });
  // A new thread gets new slots: those of a thread that died may still be read by nobody, but are not ours to trust.
  shared = new SharedArrayBuffer(SLOTS * BATCH);
  free.length = 0;
  for (let i = SLOTS - 1; i >= 0; i--) free.push(i);
  w.postMessage({ shared });
  w.on("message", (m: { id: number; ack?: number; slot?: number; digest?: string }) => {
    if (m.slot !== undefined) free.push(m.slot);
    const p = streams.get(m.id);
    if (!p) return;
    if (m.ack !== undefined) {
      p.inFlight -= m.ack;
      if (p.inFlight <= WINDOW) for (const wake of p.waiters.splice(0)) wake();
    } else if (m.digest !== undefined) {
      streams.delete(m.id);
      if (streams.size === 0) w.unref(); // idle: never keeps the process alive
      p.done?.(m.digest);
    }
  });
  const broken = (e: Error) => {
    worker = undefined;
    for (const p of streams.values()) p.fail(e);
    streams.clear();
  };
  w.on("error", broken);
  w.on("exit", (code) => broken(new Error(`the hashing thread exited (code ${code})`)));
  worker = w;
  return w;
}

/** A sha256 (or sha512) computed off the JS thread: update() resolves once there is room for more. */
export class ThreadHash {
  private readonly id = nextId++;
  private readonly p: Pending;
  private failure: Error | undefined;
  /** The batch being filled (a slot of the shared buffer, or a buffer of its own: slot -1), and how much of it is. */
  private batch: Uint8Array | undefined;
  private slot = -1;
  private fill = 0;

  constructor(algorithm: "sha256" | "sha512" = "sha256") {
    this.p = { inFlight: 0, waiters: [], fail: (e) => this.onFail(e) };
    streams.set(this.id, this.p);
    const w = thread();
    w.ref();
    if (algorithm !== "sha256") w.postMessage({ id: this.id, algorithm });
  }

  private onFail(e: Error): void {
    this.failure = e;
    for (const wake of this.p.waiters.splice(0)) wake();
  }

  /** A slot to fill, or a buffer of its own when every slot is in flight. */
  private take(): Uint8Array {
    thread(); // (its slots come with it)
    const slot = free.pop();
    if (slot === undefined || !shared) {
      this.slot = -1;
      return new Uint8Array(BATCH);
    }
    this.slot = slot;
    return new Uint8Array(shared, slot * BATCH, BATCH);
  }

  /** Hands the filled part of the batch to the thread. */
  private flush(): void {
    if (!this.batch || this.fill === 0) return;
    this.p.inFlight += this.fill;
    if (this.slot >= 0) thread().postMessage({ id: this.id, slot: this.slot, len: this.fill });
    else {
      const buf = this.batch.buffer as ArrayBuffer;
      thread().postMessage({ id: this.id, buf, len: this.fill }, [buf]);
    }
    this.batch = undefined;
    this.slot = -1;
    this.fill = 0;
  }

  /**
   * Copies `chunk` into the current batch (sent when full). Returns a promise only when the caller
   * must wait (too much in flight, or the thread failed): a promise per 64 KiB chunk of a big
   * upload cost the JS thread more than the copy.
   */
  update(chunk: Uint8Array): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    for (let at = 0; at < chunk.length; ) {
      this.batch ??= this.take();
      const n = Math.min(chunk.length - at, BATCH - this.fill);
      this.batch.set(chunk.subarray(at, at + n), this.fill);
      this.fill += n;
      at += n;
      if (this.fill === BATCH) this.flush();
    }
    if (this.p.inFlight <= WINDOW) return undefined;
    return new Promise<void>((resolve, reject) => this.p.waiters.push(() => (this.failure ? reject(this.failure) : resolve())));
  }

  /** The hex digest of everything given. */
  digest(): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    this.flush();
    return new Promise<string>((resolve, reject) => {
      this.p.done = resolve;
      this.p.fail = (e) => reject(e);
      thread().postMessage({ id: this.id, end: true });
    });
  }

  /** Forgets the stream (an aborted ingest). */
  drop(): void {
    // (a slot of a thread that has since died belongs to no pool)
    if (this.batch && this.slot >= 0 && this.batch.buffer === shared) free.push(this.slot);
    this.batch = undefined;
    this.slot = -1;
    this.fill = 0;
    if (!streams.delete(this.id)) return;
    worker?.postMessage({ id: this.id, drop: true });
    if (streams.size === 0) worker?.unref();
  }
}
