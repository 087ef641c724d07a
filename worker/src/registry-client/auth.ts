/**
 * The distribution spec's auth handshake, as Docker does it: a request without credentials,
 * a 401 with `WWW-Authenticate`, then either Basic (send the user's credentials directly) or
 * Bearer (ask the realm for a token for the scopes needed — Docker Hub's
 * auth.docker.io/token flow and Berth's /v2/token — and retry with it). Tokens are cached per
 * scope set for their lifetime.
 */
export interface Credentials {
  username: string;
  password: string;
}

export interface Challenge {
  scheme: "bearer" | "basic";
  params: Record<string, string>;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (quoted or bare values, commas inside quotes). */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  if (scheme !== "bearer" && scheme !== "basic") return undefined;
  const params: Record<string, string> = {};
  const re = /([a-zA-Z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?\s*/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2]!))) params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3]!;
  return { scheme, params };
}

export const basicHeader = (c: Credentials) => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;

interface CachedToken {
  header: string;
  expires: number;
}

/** Asks a Bearer realm for a token; returns the Authorization header value. */
export async function fetchToken(
  ch: Challenge,
  scopes: string[],
  creds: Credentials | undefined,
  fetchImpl: typeof fetch = fetch,
): Promise<{ header: string; expiresIn: number }> {
  const realm = ch.params.realm;
  if (!realm) throw new Error("the registry's Bearer challenge names no realm");
  const u = new URL(realm);
  if (ch.params.service) u.searchParams.set("service", ch.params.service);
  for (const s of scopes) u.searchParams.append("scope", s);
  const res = await fetchImpl(u, { headers: creds ? { authorization: basicHeader(creds) } : {} });
  if (res.status === 401 || res.status === 403) {
    await res.body?.cancel();
    throw Object.assign(new Error(creds ? "the registry refused the credentials" : "the registry requires credentials"), { status: res.status });
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw Object.assign(new Error(`token request to ${u.origin}${u.pathname} failed: HTTP ${res.status}`), { status: res.status });
  }
  const body = (await res.json()) as { token?: string; access_token?: string; expires_in?: number };
  const token = body.token ?? body.access_token;
  if (!token) throw new Error("the token endpoint returned no token");
  return { header: `Bearer ${token}`, expiresIn: body.expires_in ?? 60 };
}

/**
 * Holds the credentials for one registry and the tokens obtained with them. Shared by the
 * parallel transfers of a push or pull: a 401 seen by several requests at once, or tokens
 * asked for by several at once, lead to one token request per scope set, whose answer all share.
 */
export class Authenticator {
  private readonly tokens = new Map<string, CachedToken>();
  /** Token requests under way, by scope key: a second asker waits for the first one's answer. */
  private readonly pending = new Map<string, Promise<string>>();
  private challenge: Challenge | undefined;

  constructor(
    readonly creds: Credentials | undefined,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** The Authorization header for these scopes, if a challenge has been seen (undefined before the first 401). */
  async header(scopes: string[]): Promise<string | undefined> {
    const ch = this.challenge;
    if (!ch) return undefined;
    if (ch.scheme === "basic") return this.creds ? basicHeader(this.creds) : undefined;
    const key = scopeKey(scopes);
    const cached = this.tokens.get(key);
    if (cached && cached.expires > Date.now()) return cached.header;
    let p = this.pending.get(key);
    if (!p) {
      p = fetchToken(ch, scopes, this.creds, this.fetchImpl)
        .then((t) => {
          // Renew a little early: a token that expires mid-upload fails the request.
          this.tokens.set(key, { header: t.header, expires: Date.now() + Math.max(10, t.expiresIn - 10) * 1000 });
          return t.header;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }

  /**
   * Records a 401's challenge; returns whether retrying can help. `sent` is the Authorization
   * header the refused request carried: none (sent before any challenge was known, as when
   * parallel requests start together) or a token since replaced is worth one more try; a
   * refused token is dropped so the retry asks for a new one.
   */
  learn(wwwAuthenticate: string | null, scopes: string[], sent?: string): boolean {
    const ch = parseChallenge(wwwAuthenticate);
    if (!ch) return false;
    this.challenge = ch;
    if (ch.scheme === "basic") return !!this.creds && sent === undefined;
    const key = scopeKey(scopes);
    if (sent !== undefined && this.tokens.get(key)?.header === sent) this.tokens.delete(key);
    return true;
  }
}

const scopeKey = (scopes: string[]) => [...scopes].sort().join(" ");
