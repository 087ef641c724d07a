/**
 * `push` and `pull`: credentials for the registry the name points at, the request to web's
 * streaming route, and its progress lines printed as they come (Docker's format).
 */
import { CliError } from "./errors.js";
import { storedLogin } from "./credentials.js";
import { postJson, readProgress, responseError } from "./progress-stream.js";

export interface RegistryCreds {
  username: string;
  password: string;
}

/** `--creds user:token` → {username, password}. */
export function parseCreds(text: string): RegistryCreds {
  const i = text.indexOf(":");
  if (i <= 0 || i === text.length - 1) throw new CliError("USAGE", "--creds takes USERNAME:PASSWORD (an API token works as the password)");
  return { username: text.slice(0, i), password: text.slice(i + 1) };
}

/** The registry host of a name ("127.0.0.1:5000/alice/app:1" → "127.0.0.1:5000"), Docker's rule. */
export function registryOf(ref: string): string | undefined {
  const slash = ref.indexOf("/");
  if (slash < 0) return undefined;
  const first = ref.slice(0, slash);
  return first.includes(".") || first.includes(":") || first === "localhost" ? first : undefined;
}

/** `--creds`, else what `berth login REGISTRY` stored for that registry. */
export function credsFor(ref: string, given: string | undefined, lookup = storedLogin): RegistryCreds | undefined {
  if (given) return parseCreds(given);
  const host = registryOf(ref);
  if (!host) return undefined;
  for (const url of [`http://${host}`, `https://${host}`, host]) {
    const l = lookup(url);
    if (l) return { username: l.user, password: l.token };
  }
  return undefined;
}

export { formatProgress, type ProgressLine } from "./progress-stream.js";

/** POSTs {ref, creds} to a streaming route; prints each progress line; returns the result. */
export async function transfer<T>(route: "/api/images/push" | "/api/images/pull", ref: string, creds: RegistryCreds | undefined, quiet: boolean): Promise<T> {
  const res = await postJson(route, { ref, ...(creds ? { creds } : {}) });
  if (res.statusCode !== 200) throw await responseError(res);
  return readProgress<T>(res, { quiet, what: "the transfer" });
}
