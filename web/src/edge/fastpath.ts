import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import type { Server } from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { EDGE_AUTH_PATH, EDGE_LINK_COOKIE, EDGE_LINK_HEADER, EDGE_LINK_PARAM, EDGE_LINK_PREFIX, EDGE_SESSION_COOKIE, FailedPrecondition, type Logger } from "@berth/core";
import { REVALIDATE_WINDOW_MS } from "./authorizer.js";

/** native/build/Release/berth-edge-fast, from web/dist/src/edge/. */
const BINARY = fileURLToPath(new URL("../../../../native/build/Release/berth-edge-fast", import.meta.url));

/** Renewable grants remembered at most (one per host and set of credentials in use). */
const MAX_RENEWABLE = 100_000;

/** What the fast path replays: a request with these credentials to this host goes to this upstream. */
export interface FastPathGrant {
  containerId: string;
  ip: string;
  port: number;
  /** Until when (Date.now() ms) the decision holds: never past the authorizer's cached answer. */
  until: number;
  /** The fast path's generation when the decision was made (a change since voids it). */
  generation: number;
}

/** A grant decided again: renewed; null, refused (dropped at once); "unavailable", web gave no fresh answer (it expires). */
export type GrantRenewal = FastPathGrant | null | "unavailable";

/** What the request handlers need of the fast path (server.ts). */
export interface FastPathGrants {
  readonly generation: number;
  /** Whether a request came through the fast path (then its response may carry a grant). */
  via(socket: net.Socket): boolean;
  /**
   * The response header (name, value) that grants `g`; null when it has expired. `renew` decides
   * again when the fast path asks to renew the grant (past half its lifetime, or past its end
   * while it serves on, stale, for a while): a fresh grant; null refuses it (the fast path drops
   * it at once); "unavailable" (web did not answer) lets it expire.
   */
  grantHeader(g: FastPathGrant, renew?: () => Promise<GrantRenewal>): [string, string] | null;
}

export interface FastPathOptions {
  host: string;
  port: number;
  log: Logger;
  /** Containers the fast path sent requests to in the last quarter second (idle freeze counts it as activity). */
  onActivity: (containerIds: string[]) => void;
  /** Containers with fast-path requests in flight when the grants were dropped (one frozen under them is thawed). */
  onInflight: (containerIds: string[]) => void;
  binary?: string;
  /** Its event loops; undefined: its default (half the cores, at least one). */
  loops?: number;
}

/**
 * The edge's native fast path (native/src/edge_fast_main.cc): a child process that owns the plain
 * HTTP port and serves a request itself only when it replays a decision made here (granted in a
 * response header whose name is secret to this start); every other request, and every connection
 * it does not fully understand, comes here over a unix socket with the client's address first.
 * Policy stays here: `invalidate()` drops every grant at once when routes or policy change.
 */
export class EdgeFastPath implements FastPathGrants {
  private readonly header = `x-berth-grant-${crypto.randomBytes(16).toString("hex")}`;
  private gen = 0;
  private child: ChildProcess | undefined;
  private internal: net.Server | undefined;
  private dir: string | undefined;
  private readonly fromFast = new WeakSet<net.Socket>();
  private stopping = false;
  /** invalidate() calls waiting for the fast path's "F <generation>" answer. */
  private dropped: { gen: number; resolve: () => void }[] = [];
  /** How to renew each grant the fast path may still hold, by its id (named in its "P <id>"). */
  private renewals = new Map<number, { renew: () => Promise<GrantRenewal>; until: number }>();
  private lastId = 0;

  constructor(private readonly o: FastPathOptions) {}

  get generation(): number {
    return this.gen;
  }

  via(socket: net.Socket): boolean {
    return this.fromFast.has(socket);
  }

  grantHeader(g: FastPathGrant, renew?: () => Promise<GrantRenewal>): [string, string] | null {
    const value = this.grantValue(g, renew ? ++this.lastId : 0);
    if (!value) return null;
    if (renew) {
      if (this.renewals.size >= MAX_RENEWABLE) this.forgetExpired();
      this.renewals.set(this.lastId, { renew, until: g.until });
    }
    return [this.header, value];
  }

  /** "<generation> <ttl ms> <ip> <port> <container> <id>" (edge_grants.h); null when it has expired. */
  private grantValue(g: FastPathGrant, id: number): string | null {
    const ms = Math.floor(g.until - Date.now());
    if (ms <= 0 || g.generation !== this.gen) return null;
    return `${g.generation} ${ms} ${g.ip} ${g.port} ${g.containerId} ${id}`;
  }

  private forgetExpired(): void {
    const now = Date.now();
    for (const [id, r] of this.renewals) if (r.until <= now) this.renewals.delete(id);
    // All still live (a flood of credentials): the oldest go; the fast path drops their grants at their next renewal (D).
    for (const id of this.renewals.keys()) {
      if (this.renewals.size < MAX_RENEWABLE) break;
      this.renewals.delete(id);
    }
  }

  /** The fast path's "P <id>": decides again for the grant `id` and sends it the renewal, if any. */
  private renew(id: number): void {
    const r = this.renewals.get(id);
    const say = (line: string) => {
      if (this.child?.stdin?.writable) this.child.stdin.write(line);
    };
    // Forgotten here (a flood of credentials): nothing can decide for it again.
    if (!r) return say(`D ${id}\n`);
    r.renew().then(
      (g) => {
        if (g === "unavailable") return;
        const value = g && this.grantValue(g, id);
        // A refusal always goes out (harmless for a grant the fast path no longer holds).
        if (!g || !value) return say(`D ${id}\n`);
        if (this.renewals.get(id) !== r) return;
        r.until = g.until;
        say(`G ${value}\n`);
      },
      (err: unknown) => {
        this.o.log.warn({ err: (err as Error).message }, "edge: renewing a fast-path grant failed; it is dropped");
        say(`D ${id}\n`);
      },
    );
  }

  /**
   * Drops every grant now (a route, a visibility, a session or a freeze changed); grants made
   * before are refused. Resolves once the fast path has dropped them (at once when it is not running).
   */
  invalidate(): Promise<void> {
    this.gen++;
    // The fast path drops every grant: none is renewed.
    this.renewals.clear();
    const child = this.child;
    if (!child?.stdin?.writable || child.exitCode !== null) return Promise.resolve();
    child.stdin.write(`C ${this.gen}\n`);
    const gen = this.gen;
    return new Promise((resolve) => {
      this.dropped.push({ gen, resolve });
      // It answers within milliseconds; a stuck one must not hold web's caller for ever (ACK_WAIT_MS there).
      setTimeout(resolve, 2_000).unref();
    });
  }

  /** Listens for the fast path's hand-overs (given to `server`), then starts it on the port. */
  async start(server: Server): Promise<void> {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-edge-"));
    const sock = path.join(this.dir, "node.sock");
    const internal = net.createServer((s) => this.adopt(s, server));
    this.internal = internal;
    await new Promise<void>((resolve, reject) => internal.once("error", reject).listen(sock, () => resolve()));
    // Never reached by clients: listening is what starts node:http's header and request timeouts
    // (and its connection tracking) for the connections handed to it.
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(path.join(this.dir!, "http.sock"), () => resolve()));
    const binary = this.o.binary ?? BINARY;
    if (!fs.existsSync(binary)) throw new FailedPrecondition(`the edge's fast path ${binary} is missing: build native/ (npm run build), or set BERTH_EDGE_FASTPATH=0`);
    const child = spawn(binary, [], { stdio: ["pipe", "pipe", "inherit"] });
    this.child = child;
    const names: [string, string][] = [
      ["listen-host", this.o.host],
      ["listen-port", String(this.o.port)],
      ["node", sock],
      ["grant-header", this.header],
      ["session-cookie", EDGE_SESSION_COOKIE],
      ["link-cookie", EDGE_LINK_COOKIE],
      ["link-param", EDGE_LINK_PARAM],
      ["link-header", EDGE_LINK_HEADER],
      ["link-prefix", EDGE_LINK_PREFIX],
      ["token-prefix", "berth_"],
      ["auth-path", EDGE_AUTH_PATH],
      ["acme-prefix", "/.well-known/acme-challenge/"],
      // A renewable grant serves this long past its end while it is decided again, as the authorizer's cached answers do.
      ["grant-stale-ms", String(REVALIDATE_WINDOW_MS)],
    ];
    if (this.o.loops) names.push(["loops", String(this.o.loops)]);
    child.stdin!.write(names.map(([k, v]) => `${k} ${v}\n`).join("") + "\n");
    child.stdin!.on("error", () => {});
    await new Promise<void>((resolve, reject) => {
      const lines = readline.createInterface({ input: child.stdout! });
      lines.on("line", (line) => {
        if (line === "R") return resolve();
        const [kind, ...rest] = line.split(" ");
        if (kind === "A") this.o.onActivity(rest);
        else if (kind === "P") this.renew(Number(rest[0]));
        else if (kind === "F") {
          const gen = Number(rest[0]);
          for (const w of this.dropped.filter((d) => d.gen <= gen)) w.resolve();
          this.dropped = this.dropped.filter((d) => d.gen > gen);
          // Only the answer to the latest drop matters: an older one listed what has ended since.
          if (gen === this.gen) this.o.onInflight(rest.slice(1));
        }
      });
      child.once("error", reject);
      child.once("exit", (code, signal) => {
        reject(new FailedPrecondition(`the edge's fast path exited (${signal ?? `code ${code}`}) before listening on ${this.o.host}:${this.o.port}: see its message above`));
        if (this.stopping) return;
        // It owns the port: without it the edge serves nothing, so the launcher restarts the edge.
        this.o.log.fatal({ code, signal }, "edge: the fast path (berth-edge-fast) exited");
        process.exit(1);
      });
    });
  }

  stop(): void {
    this.stopping = true;
    this.child?.kill("SIGTERM");
    this.internal?.close();
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** A hand-over: one line with the client's address, then the client's bytes; served as a connection of `server`. */
  private adopt(s: net.Socket, server: Server): void {
    let buf: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      const nl = buf.indexOf(10);
      if (nl < 0) {
        if (buf.length > 64) s.destroy();
        return;
      }
      s.off("data", onData);
      s.pause();
      // The policy, the X-Forwarded-For and the request log see the client, not the fast path.
      Object.defineProperty(s, "remoteAddress", { value: buf.subarray(0, nl).toString("latin1"), configurable: true });
      this.fromFast.add(s);
      if (buf.length > nl + 1) s.unshift(buf.subarray(nl + 1));
      server.emit("connection", s);
      process.nextTick(() => s.resume());
    };
    s.on("data", onData);
    s.on("error", () => {});
  }
}
