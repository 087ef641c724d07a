/**
 * ACME (RFC 8555) for the edge's custom domains: an account key kept in
 * $BERTH_HOME/edge/acme/account.key, orders proved by the http-01 challenge (the edge answers
 * /.well-known/acme-challenge/<token> on its plain port, which the CA reaches as port 80), and
 * the certificate written where certs.ts reads it ($BERTH_HOME/edge/certs/<domain>.crt|key), so
 * the TLS port serves it at the next handshake. The CSR is made by Debian's openssl.
 */
import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs/promises";
import https from "node:https";
import path from "node:path";
import { FailedPrecondition, type Logger } from "@berth/core";

const b64u = (b: Buffer | string) => Buffer.from(b).toString("base64url");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const ACME_CHALLENGE_PREFIX = "/.well-known/acme-challenge/";

/** Tokens of the http-01 challenges in progress → their key authorizations (what the edge answers). */
export class AcmeChallenges {
  private answers = new Map<string, string>();
  set(token: string, keyAuthorization: string): void {
    this.answers.set(token, keyAuthorization);
  }
  delete(token: string): void {
    this.answers.delete(token);
  }
  /** The answer for a request path, or null when it is no challenge of ours. */
  answer(pathname: string): string | null {
    if (!pathname.startsWith(ACME_CHALLENGE_PREFIX)) return null;
    return this.answers.get(pathname.slice(ACME_CHALLENGE_PREFIX.length)) ?? null;
  }
}

export interface AcmeOptions {
  /** The CA's directory URL (e.g. https://acme-v02.api.letsencrypt.org/directory). */
  directoryUrl: string;
  /** Where the account key lives (…/edge/acme) and where certificates go (…/edge/certs). */
  acmeDir: string;
  certsDir: string;
  email?: string;
  /** PEM of a CA to trust for the ACME server's own HTTPS (a private CA, a test server). */
  ca?: Buffer;
  challenges: AcmeChallenges;
  log: Logger;
  /** How long one order may take before it is given up (default 5 minutes). */
  timeoutMs?: number;
}

interface Directory {
  newNonce: string;
  newAccount: string;
  newOrder: string;
}

interface AcmeResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** An ACME client for one CA: obtain(domain) returns once <domain>.crt and .key are written. */
export class AcmeClient {
  private dir: Directory | undefined;
  private nonce: string | undefined;
  private key: crypto.KeyObject | undefined;
  private kid: string | undefined;
  private readonly agent: https.Agent;

  constructor(private readonly o: AcmeOptions) {
    this.agent = new https.Agent({ keepAlive: true, ...(o.ca && { ca: o.ca }) });
  }

  async obtain(domain: string): Promise<{ crt: string; key: string }> {
    const until = Date.now() + (this.o.timeoutMs ?? 300_000);
    await this.account();
    const order = await this.post(this.dir!.newOrder, { identifiers: [{ type: "dns", value: domain }] });
    const orderUrl = header(order, "location");
    let o = json(order) as { status: string; authorizations: string[]; finalize: string; certificate?: string };
    for (const authzUrl of o.authorizations) await this.authorize(authzUrl, until);
    // The certificate's key and CSR: a new P-256 key per certificate.
    const certKey = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const csr = await makeCsr(certKey, domain, this.o.acmeDir);
    o = json(await this.post(o.finalize, { csr: b64u(csr) })) as typeof o;
    while (o.status !== "valid") {
      if (o.status === "invalid") throw new FailedPrecondition(`the ACME server refused to issue a certificate for ${domain} (order ${orderUrl})`);
      if (Date.now() > until) throw new FailedPrecondition(`the ACME order for ${domain} did not finish in time (status ${o.status})`);
      await sleep(500);
      o = json(await this.post(orderUrl, null)) as typeof o;
    }
    const chain = (await this.post(o.certificate!, null, "application/pem-certificate-chain")).body.toString("utf8");
    if (!chain.includes("BEGIN CERTIFICATE")) throw new FailedPrecondition(`the ACME server sent no PEM certificate for ${domain}`);
    await fs.mkdir(this.o.certsDir, { recursive: true, mode: 0o700 });
    const crtFile = path.join(this.o.certsDir, `${domain}.crt`);
    const keyFile = path.join(this.o.certsDir, `${domain}.key`);
    // The key first, then the certificate: a reader finds a .crt only with its key beside it.
    await writeAtomic(keyFile, certKey);
    await writeAtomic(crtFile, chain);
    this.o.log.info({ domain, file: crtFile }, "edge: ACME certificate issued");
    return { crt: crtFile, key: keyFile };
  }

  private async authorize(url: string, until: number): Promise<void> {
    let authz = json(await this.post(url, null)) as { status: string; identifier: { value: string }; challenges: { type: string; url: string; token: string; status: string; error?: { detail?: string } }[] };
    if (authz.status === "valid") return;
    const ch = authz.challenges.find((c) => c.type === "http-01");
    if (!ch) throw new FailedPrecondition(`the ACME server offers no http-01 challenge for ${authz.identifier.value} (only ${authz.challenges.map((c) => c.type).join(", ")})`);
    this.o.challenges.set(ch.token, `${ch.token}.${thumbprint(this.key!)}`);
    try {
      await this.post(ch.url, {});
      while (authz.status === "pending" || authz.status === "processing") {
        if (Date.now() > until) throw new FailedPrecondition(`the http-01 challenge for ${authz.identifier.value} was not checked in time`);
        await sleep(500);
        authz = json(await this.post(url, null)) as typeof authz;
      }
      if (authz.status !== "valid") {
        const why = authz.challenges.find((c) => c.type === "http-01")?.error?.detail ?? authz.status;
        throw new FailedPrecondition(`the ACME server could not check ${authz.identifier.value} (http-01 on port 80 must reach this edge): ${why}`);
      }
    } finally {
      this.o.challenges.delete(ch.token);
    }
  }

  private async account(): Promise<void> {
    if (this.kid) return;
    this.dir ??= json(await this.request("GET", this.o.directoryUrl)) as Directory;
    this.key ??= await loadOrMakeKey(path.join(this.o.acmeDir, "account.key"));
    const res = await this.post(this.dir.newAccount, { termsOfServiceAgreed: true, ...(this.o.email && { contact: [`mailto:${this.o.email}`] }) }, undefined, true);
    this.kid = header(res, "location");
  }

  /** A JWS-signed POST (payload null: POST-as-GET); a refused nonce is retried (3 times) with a fresh one. */
  private async post(url: string, payload: unknown, accept?: string, useJwk = false, tries = 0): Promise<AcmeResponse> {
    if (!this.nonce) this.nonce = header(await this.request("HEAD", this.dir!.newNonce), "replay-nonce");
    const protectedHeader = { alg: "ES256", nonce: this.nonce, url, ...(useJwk ? { jwk: publicJwk(this.key!) } : { kid: this.kid }) };
    this.nonce = undefined;
    const p = b64u(JSON.stringify(protectedHeader));
    const pl = payload === null ? "" : b64u(JSON.stringify(payload));
    const signature = b64u(crypto.sign("sha256", Buffer.from(`${p}.${pl}`), { key: this.key!, dsaEncoding: "ieee-p1363" }));
    const res = await this.request("POST", url, JSON.stringify({ protected: p, payload: pl, signature }), accept);
    const fresh = res.headers["replay-nonce"];
    if (typeof fresh === "string") this.nonce = fresh;
    if (res.status >= 400) {
      const problem = safeJson(res.body) as { type?: string; detail?: string } | null;
      // RFC 8555 §6.5: a server may refuse any nonce; the answer carries a fresh one.
      if (problem?.type === "urn:ietf:params:acme:error:badNonce" && tries < 3) return this.post(url, payload, accept, useJwk, tries + 1);
      throw new FailedPrecondition(`the ACME server answered ${res.status} to ${url}: ${problem?.detail ?? res.body.toString("utf8").slice(0, 300)}`);
    }
    return res;
  }

  private request(method: string, url: string, body?: string, accept?: string): Promise<AcmeResponse> {
    return new Promise((resolve, reject) => {
      const req = https.request(url, { method, agent: this.agent, timeout: 30_000, headers: { "user-agent": "berth-edge", ...(body && { "content-type": "application/jose+json" }), ...(accept && { accept }) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error(`the ACME server did not answer ${method} ${url} in 30 s`)));
      req.on("error", (err) => reject(new FailedPrecondition(`the ACME server ${url} could not be reached: ${err.message}`)));
      req.end(body);
    });
  }
}

function header(res: AcmeResponse, name: string): string {
  const v = res.headers[name];
  if (typeof v !== "string" || !v) throw new FailedPrecondition(`the ACME server's answer has no ${name} header`);
  return v;
}

const safeJson = (b: Buffer): unknown => {
  try {
    return JSON.parse(b.toString("utf8"));
  } catch {
    return null;
  }
};

function json(res: AcmeResponse): unknown {
  const v = safeJson(res.body);
  if (v === null) throw new FailedPrecondition(`the ACME server's answer is not JSON: ${res.body.toString("utf8").slice(0, 200)}`);
  return v;
}

function publicJwk(key: crypto.KeyObject): { crv: string; kty: string; x: string; y: string } {
  const j = crypto.createPublicKey(key).export({ format: "jwk" });
  return { crv: j.crv!, kty: j.kty!, x: j.x!, y: j.y! };
}

/** RFC 7638: SHA-256 of the JWK's required members in lexicographic order. */
export function thumbprint(key: crypto.KeyObject): string {
  const j = publicJwk(key);
  return b64u(crypto.createHash("sha256").update(JSON.stringify({ crv: j.crv, kty: j.kty, x: j.x, y: j.y })).digest());
}

async function loadOrMakeKey(file: string): Promise<crypto.KeyObject> {
  try {
    return crypto.createPrivateKey(await fs.readFile(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new FailedPrecondition(`${file} is not a usable ACME account key: ${(err as Error).message}`);
  }
  const key = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeAtomic(file, key.export({ format: "pem", type: "pkcs8" }).toString());
  return key;
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, text, { mode: 0o600 });
  await fs.rename(tmp, file);
}

/** A DER CSR for `domain` signed by `keyPem`, made by openssl (Node has no CSR API). */
async function makeCsr(keyPem: string, domain: string, scratch: string): Promise<Buffer> {
  await fs.mkdir(scratch, { recursive: true, mode: 0o700 });
  const keyFile = path.join(scratch, `csr-${process.pid}-${crypto.randomBytes(4).toString("hex")}.key`);
  await fs.writeFile(keyFile, keyPem, { mode: 0o600 });
  try {
    return await new Promise<Buffer>((resolve, reject) =>
      execFile("openssl", ["req", "-new", "-key", keyFile, "-subj", `/CN=${domain}`, "-addext", `subjectAltName=DNS:${domain}`, "-outform", "DER"], { encoding: "buffer" }, (err, out, stderr) =>
        err ? reject(new FailedPrecondition(`openssl could not make a CSR for ${domain}: ${stderr.toString() || err.message}`)) : resolve(out),
      ),
    );
  } finally {
    await fs.rm(keyFile, { force: true });
  }
}
