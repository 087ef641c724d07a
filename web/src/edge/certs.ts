/**
 * TLS certificates for the edge's TLS port, from files: $BERTH_HOME/edge/certs/<host>.crt and
 * <host>.key (PEM; the .crt may carry the chain after the leaf), or _wildcard.<parent>.crt|key
 * for every `*.<parent>` name (mkcert's naming). Chosen per connection by SNI; a file replaced
 * on disk is picked up on the next handshake after a short re-check interval, with no restart.
 */
import fs from "node:fs/promises";
import path from "node:path";
import tls from "node:tls";
import { FailedPrecondition, NotFound, type Logger } from "@berth/core";

/** A certificate file is stat'ed again at most this often per host name. */
const RECHECK_MS = 2_000;

interface Loaded {
  ctx: tls.SecureContext;
  /** The .crt and .key mtimes it was made from. */
  stamp: string;
  checkedAt: number;
  file: string;
}

/** The files that may serve `servername`, most specific first. */
export function certCandidates(servername: string): string[] {
  const name = servername.toLowerCase().replace(/\.$/, "");
  if (!/^[a-z0-9.-]+$/.test(name) || name.includes("..") || name.startsWith(".")) return [];
  const dot = name.indexOf(".");
  return dot > 0 ? [name, `_wildcard.${name.slice(dot + 1)}`] : [name];
}

export class CertStore {
  private cache = new Map<string, Loaded>();
  private loading = new Map<string, Promise<tls.SecureContext>>();

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
    private readonly recheckMs = RECHECK_MS,
  ) {}

  /** The secure context for `servername`; NotFound when no certificate file covers it. */
  async contextFor(servername: string): Promise<tls.SecureContext> {
    for (const base of certCandidates(servername)) {
      const ctx = await this.load(base);
      if (ctx) return ctx;
    }
    throw new NotFound(`no TLS certificate for ${servername}: put ${servername}.crt and ${servername}.key (PEM) in ${this.dir}`);
  }

  /** For tls.createServer's SNICallback. */
  readonly sniCallback = (servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void): void => {
    this.contextFor(servername).then(
      (ctx) => cb(null, ctx),
      (err: unknown) => {
        // A missing certificate is a client's choice of name; a broken one is the operator's to fix.
        if (err instanceof NotFound) this.log.debug({ err: err.message, servername }, "edge: TLS handshake refused");
        else this.log.warn({ err: (err as Error).message, servername }, "edge: TLS handshake refused");
        cb(err as Error);
      },
    );
  };

  private async load(base: string): Promise<tls.SecureContext | null> {
    const had = this.cache.get(base);
    if (had && Date.now() - had.checkedAt < this.recheckMs) return had.ctx;
    const pending = this.loading.get(base);
    if (pending) return pending;
    const crt = path.join(this.dir, `${base}.crt`);
    const key = path.join(this.dir, `${base}.key`);
    const [cs, ks] = await Promise.all([fs.stat(crt).catch(() => null), fs.stat(key).catch(() => null)]);
    if (!cs || !ks) {
      if (cs && !ks) this.log.warn({ crt, key }, "edge: a certificate has no key file beside it");
      this.cache.delete(base);
      return null;
    }
    const stamp = `${cs.mtimeMs}/${cs.size}/${ks.mtimeMs}/${ks.size}`;
    if (had && had.stamp === stamp) {
      had.checkedAt = Date.now();
      return had.ctx;
    }
    const p = (async () => {
      const [cert, privateKey] = await Promise.all([fs.readFile(crt), fs.readFile(key)]);
      let ctx: tls.SecureContext;
      try {
        ctx = tls.createSecureContext({ cert, key: privateKey });
      } catch (err) {
        throw new FailedPrecondition(`${crt} with ${key} is not a usable certificate and key: ${(err as Error).message}`);
      }
      this.cache.set(base, { ctx, stamp, checkedAt: Date.now(), file: crt });
      this.log.info({ file: crt }, "edge: TLS certificate loaded");
      return ctx;
    })().finally(() => this.loading.delete(base));
    this.loading.set(base, p);
    return p;
  }
}
