import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";

/**
 * The registry's signing key: 32 random bytes, generated once into $BERTH_HOME/secret.key
 * (mode 0600). Two processes racing to create it agree: the loser reads the winner's file.
 */
export async function loadOrCreateKey(file: string): Promise<Buffer> {
  const read = async () => {
    const text = (await fs.readFile(file, "utf8")).trim();
    const key = Buffer.from(text, "base64");
    if (key.length < 32) throw new Error(`${file} does not hold a key (want 32+ random bytes, base64): remove it to make a new one`);
    await fs.chmod(file, 0o600);
    return key;
  };
  try {
    return await read();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  await fs.writeFile(tmp, randomBytes(32).toString("base64") + "\n", { mode: 0o600 });
  try {
    await fs.link(tmp, file); // fails with EEXIST if someone else made it first
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  } finally {
    await fs.rm(tmp, { force: true });
  }
  return read();
}

export interface Access {
  type: string;
  name: string;
  actions: string[];
}

/**
 * A registry token's claims. Every request of a push carries the token in its Authorization
 * header, so it holds only what verification needs: no issuer (the audience and the key say
 * whose it is), no nbf/jti/sub (nothing reads them), and the grants as one OAuth2 `scope`
 * string (RFC 8693), which is a third of Docker's `access` objects.
 */
export interface TokenClaims {
  aud: string;
  /** The user's id (absent when anonymous). */
  uid?: string;
  /** Issued for a read-only API token. */
  ro?: boolean;
  /** Issued for an API token limited to this team (id). */
  tid?: string;
  /** Issued for this API token (id): revoking it ends the registry token too. */
  tok?: string;
  iat: number;
  exp: number;
  /** The grants, space-separated "repository:<name>:<actions>" (parseScopes reads them). */
  scope: string;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");
const HEADER = b64url(JSON.stringify({ alg: "HS256" }));

/** HMAC-SHA256 JWT (RFC 7519, "HS256"). */
export function signJwt(key: Buffer, claims: TokenClaims): string {
  const body = `${HEADER}.${b64url(JSON.stringify(claims))}`;
  return `${body}.${createHmac("sha256", key).update(body).digest("base64url")}`;
}

export type VerifyResult = { ok: true; claims: TokenClaims } | { ok: false; reason: "malformed" | "signature" | "expired" | "not_yet_valid" | "audience" };

/** Verifies signature, algorithm, issuer/audience and the time window (with a little clock skew). */
export function verifyJwt(key: Buffer, token: string, expect: { aud: string }, nowSec = Math.floor(Date.now() / 1000), skewSec = 30): VerifyResult {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, reason: "malformed" };
  const [h, p, s] = parts as [string, string, string];
  let header: { alg?: unknown };
  let claims: TokenClaims;
  try {
    header = JSON.parse(Buffer.from(h, "base64url").toString("utf8")) as { alg?: unknown };
    claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as TokenClaims;
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (header.alg !== "HS256" || !claims || typeof claims !== "object") return { ok: false, reason: "malformed" };
  const want = createHmac("sha256", key).update(`${h}.${p}`).digest();
  const got = Buffer.from(s, "base64url");
  if (got.length !== want.length || !timingSafeEqual(got, want)) return { ok: false, reason: "signature" };
  if (claims.aud !== expect.aud) return { ok: false, reason: "audience" };
  if (typeof claims.exp !== "number" || claims.exp <= nowSec) return { ok: false, reason: "expired" };
  if (typeof claims.iat === "number" && claims.iat > nowSec + skewSec) return { ok: false, reason: "not_yet_valid" };
  if (typeof claims.scope !== "string") return { ok: false, reason: "malformed" };
  return { ok: true, claims };
}
