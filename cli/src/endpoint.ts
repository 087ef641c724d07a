/**
 * Where the Berth server is and which token to present: all a command needs before its first
 * request. Kept apart from client.ts so a command that speaks plain HTTP (attached `run`)
 * does not load the tRPC client, nor (with quickClientConfig) zod.
 */
import { readFileSync } from "node:fs";
import type { ClientConfig } from "@berth/core/client-config";
import { homePaths } from "@berth/core/home-paths";
import { CliError, noCredentialsMessage } from "./errors.js";
import { storedLogin } from "./credentials.js";

export interface Endpoint {
  url: string;
  token: string;
}

/** BERTH_TOKEN, else `berth login`'s token for this server, else $BERTH_HOME/admin.token (readable by root on the Berth host). */
export function readToken(cfg: { token: string | undefined; home: string; url?: string }): string {
  if (cfg.token) return cfg.token;
  const login = cfg.url ? storedLogin(cfg.url) : undefined;
  if (login) return login.token;
  try {
    const t = readFileSync(homePaths(cfg.home).adminToken, "utf8").trim();
    if (t) return t;
  } catch {
    // unreadable or missing: fall through to the one clear message
  }
  throw new CliError("NO_CREDENTIALS", noCredentialsMessage);
}

/** cfg: core's config(), or quickClientConfig() where it answers (no zod loaded: see run-attached.ts). */
export function endpoint(cfg: ClientConfig): Endpoint {
  return { url: cfg.url, token: readToken(cfg) };
}
