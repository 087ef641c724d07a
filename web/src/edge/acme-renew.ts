/**
 * Keeps a certificate for every custom domain of the named routes: a domain with no
 * certificate file, or one that expires within a third of its lifetime (30 days at most), gets
 * one from ACME (acme.ts), one domain at a time; a failed domain waits before it is tried again.
 * Certificates put in edge/certs by hand are used as they are until they near their end.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { X509Certificate } from "node:crypto";
import type { Logger } from "@berth/core";
import type { AcmeClient } from "./acme.js";
import { readRoutesFile } from "./named-routes.js";

const DAY = 24 * 3600_000;

/** Whether the certificate in `crtFile` needs replacing at `now` (missing, unreadable, or near its end). */
export async function needsCertificate(crtFile: string, now = Date.now()): Promise<boolean> {
  let pem: Buffer;
  try {
    pem = await fs.readFile(crtFile);
  } catch {
    return true;
  }
  try {
    const c = new X509Certificate(pem);
    const from = Date.parse(c.validFrom);
    const to = Date.parse(c.validTo);
    return to - now < Math.min(30 * DAY, (to - from) / 3);
  } catch {
    return true;
  }
}

export class AcmeRenewer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private failedAt = new Map<string, number>();

  constructor(
    private readonly home: string,
    private readonly certsDir: string,
    private readonly client: AcmeClient,
    private readonly log: Logger,
    private readonly o: { everyMs?: number; retryMs?: number } = {},
  ) {}

  start(): void {
    void this.check();
    this.timer = setInterval(() => void this.check(), this.o.everyMs ?? 10_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass over the domains (a pass in progress is shared). */
  check(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<void> {
    let domains: string[];
    try {
      const file = await readRoutesFile(this.home);
      domains = [...new Set(Object.values(file.routes).flatMap((r) => r.domains ?? []))].sort();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "edge: ACME: reading the routes failed");
      return;
    }
    for (const domain of domains) {
      const failed = this.failedAt.get(domain);
      if (failed && Date.now() - failed < (this.o.retryMs ?? 600_000)) continue;
      if (!(await needsCertificate(path.join(this.certsDir, `${domain}.crt`)))) continue;
      try {
        await this.client.obtain(domain);
        this.failedAt.delete(domain);
      } catch (err) {
        this.failedAt.set(domain, Date.now());
        this.log.warn({ err: (err as Error).message, domain }, "edge: ACME: no certificate this time; trying again later");
      }
    }
  }
}
