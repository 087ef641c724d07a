/**
 * The three settings a CLI command needs (server URL, token, BERTH_HOME), read without zod:
 * loading zod and core's schemas is a good part of a short command's start-up. It vouches only
 * for environments config() surely accepts, with the same values; anything else (a bad or an
 * unusual value) answers undefined, and the caller asks config(), which gives the real error.
 */
import path from "node:path";

export interface ClientConfig {
  home: string;
  url: string;
  token: string | undefined;
}

const LOG_LEVELS = new Set(["trace", "debug", "info", "warn", "error", "fatal", "silent"]);

export function quickClientConfig(env: NodeJS.ProcessEnv = process.env): ClientConfig | undefined {
  // An empty variable means unset, as in loadConfig.
  const get = (k: string) => (env[k] === "" ? undefined : env[k]);
  const port = get("BERTH_PORT");
  if (port !== undefined && !(/^[1-9][0-9]{0,4}$/.test(port) && Number(port) <= 65535)) return undefined;
  const url = get("BERTH_URL");
  // Printable ASCII without spaces: zod would trim or strip nothing from it.
  if (url !== undefined && !(/^https?:\/\/[!-~]+$/.test(url) && URL.canParse(url))) return undefined;
  const hostId = get("BERTH_HOST_ID");
  if (hostId !== undefined && !/^[a-z0-9-]{1,40}$/.test(hostId)) return undefined;
  const level = get("BERTH_LOG_LEVEL");
  if (level !== undefined && !LOG_LEVELS.has(level)) return undefined;
  return {
    home: path.resolve(get("BERTH_HOME") ?? "/var/lib/berth"),
    url: (url ?? `http://127.0.0.1:${port ?? 3000}`).replace(/\/+$/, ""),
    token: get("BERTH_TOKEN"),
  };
}
