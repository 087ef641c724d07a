import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { BerthError, FailedPrecondition, type ErrorKind, type Logger } from "@berth/core";

/** A request to the context process (prepare a context, or extract ADD's archive), and its answer. */
export type ContextRequest = { id: number; op: "prepare"; archive: string | Uint8Array; dir: string; dockerfile: string } | { id: number; op: "extract"; archive: string; dir: string };
export type ContextReply = { id: number; dockerfile?: string } | { id: number; error: { kind?: ErrorKind; message: string } };

/** Heap of the context process: a hostile context that gets past the limits ends there, not in the worker. */
const CHILD_HEAP_MB = 512;

/**
 * Build contexts (and ADD's local archives) are unpacked and read in a child process of the worker (context-child.ts),
 * kept running between builds so a build pays no start-up: a context that exhausts memory, or
 * anything else that kills a process, takes down that child and fails the builds it was
 * preparing, never the worker (whose death would take every container on the host with it).
 */
export class ContextProcess {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, { resolve: (v: { dockerfile?: string }) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly log: Logger) {}

  /** Starts the child ahead of the first build. */
  start(): void {
    this.spawn();
  }

  /** prepareContext(archive, dir, dockerfile), in the child. */
  async prepare(archive: string | Buffer, dir: string, dockerfile: string): Promise<{ dockerfile: string }> {
    const r = await this.request({ id: this.nextId++, op: "prepare", archive, dir, dockerfile });
    return { dockerfile: r.dockerfile ?? "" };
  }

  /** extractArchive(archive, dir) (ADD's local archive), in the child. */
  async extract(archive: string, dir: string): Promise<void> {
    await this.request({ id: this.nextId++, op: "extract", archive, dir });
  }

  private request(req: ContextRequest): Promise<{ dockerfile?: string }> {
    if (this.closed) return Promise.reject(new FailedPrecondition("the worker is shutting down: the build context was not prepared"));
    const child = this.spawn();
    return new Promise((resolve, reject) => {
      this.pending.set(req.id, { resolve, reject });
      child.channel?.ref();
      child.send(req, (err) => {
        if (err) this.settle(req.id, undefined, new FailedPrecondition(`sending the build context to its process failed: ${err.message}`));
      });
    });
  }

  close(): void {
    this.closed = true;
    this.child?.kill("SIGKILL");
  }

  private spawn(): ChildProcess {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null && this.child.connected) return this.child;
    const file = fileURLToPath(new URL("./context-child.js", import.meta.url));
    const child = fork(file, [], { execArgv: [`--max-old-space-size=${CHILD_HEAP_MB}`], serialization: "advanced", stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.child = child;
    child.unref();
    child.channel?.unref();
    child.on("message", (m: ContextReply) => {
      if ("error" in m) this.settle(m.id, undefined, m.error.kind ? new BerthError(m.error.kind, m.error.message) : new Error(m.error.message));
      else this.settle(m.id, m);
    });
    child.on("error", (err) => this.log.warn({ err }, "the build context process failed"));
    child.on("exit", (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (this.pending.size === 0) return;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      this.log.warn({ code, signal, builds: this.pending.size }, "the build context process died");
      // Only this child's requests were pending: a new one serves the next build.
      for (const id of [...this.pending.keys()]) {
        this.settle(id, undefined, new FailedPrecondition(`unpacking the build context or an ADD archive failed: its process ${how} (out of memory?): make the context smaller with .dockerignore`));
      }
    });
    return child;
  }

  private settle(id: number, value: { dockerfile?: string } | undefined, err?: Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.child?.channel?.unref();
    if (err) p.reject(err);
    else p.resolve(value!);
  }
}
