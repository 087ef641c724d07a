/**
 * `berth login`'s stored credentials: ~/.config/berth/credentials.json ($XDG_CONFIG_HOME if
 * set), one entry per server URL, mode 0600 in a 0700 directory. Written atomically.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export interface StoredLogin {
  user: string;
  token: string;
  /** The token was made by `berth login` (so `logout` revokes it), rather than given by the user. */
  minted?: boolean;
}

interface File {
  version: 1;
  servers: Record<string, StoredLogin>;
}

export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), ".config");
  return path.join(base, "berth", "credentials.json");
}

/** Server URLs are compared without trailing slashes. */
const key = (url: string) => url.replace(/\/+$/, "");

function readFile(file: string): File {
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<File>;
    if (parsed && typeof parsed.servers === "object" && parsed.servers) return { version: 1, servers: parsed.servers };
  } catch {
    // missing or unreadable: no stored logins
  }
  return { version: 1, servers: {} };
}

function writeFile(file: string, data: File): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(data, null, 2) + "\n", { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export function storedLogin(url: string, file = credentialsPath()): StoredLogin | undefined {
  const entry = readFile(file).servers[key(url)];
  return entry && typeof entry.token === "string" && entry.token ? entry : undefined;
}

export function storeLogin(url: string, login: StoredLogin, file = credentialsPath()): void {
  const data = readFile(file);
  data.servers[key(url)] = login;
  writeFile(file, data);
}

/** Removes the login for `url`; returns it, if there was one. */
export function removeLogin(url: string, file = credentialsPath()): StoredLogin | undefined {
  const data = readFile(file);
  const entry = data.servers[key(url)];
  if (!entry) return undefined;
  delete data.servers[key(url)];
  writeFile(file, data);
  return entry;
}

/**
 * The team commands act in: BERTH_TEAM (also set by `--team`), else `berth team use`'s choice
 * for this server, else none (the server's default: the personal team, or a token's team).
 */
export function currentTeam(url: string, env: NodeJS.ProcessEnv = process.env, file = credentialsPath(env)): string | undefined {
  if (env.BERTH_TEAM) return env.BERTH_TEAM;
  const t = (readFile(file) as File & { teams?: Record<string, string> }).teams?.[key(url)];
  return typeof t === "string" && t ? t : undefined;
}

/** `berth team use NAME` (undefined: back to the default). */
export function storeTeam(url: string, team: string | undefined, file = credentialsPath()): void {
  const data = readFile(file) as File & { teams?: Record<string, string> };
  const teams = { ...(data.teams ?? {}) };
  if (team) teams[key(url)] = team;
  else delete teams[key(url)];
  writeFile(file, { ...data, teams } as File);
}

/** The request header naming the current team (none when there is none). */
export function teamHeader(url: string): Record<string, string> {
  const t = currentTeam(url);
  return t ? { "x-berth-team": t } : {};
}

/** The same for socket.io's `auth`. */
export function teamAuth(url: string): { team?: string } {
  const t = currentTeam(url);
  return t ? { team: t } : {};
}
