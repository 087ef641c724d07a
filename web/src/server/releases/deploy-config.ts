import { InvalidArgument } from "@berth/core";
import { open, type SecretKey } from "../secrets/index.js";

/**
 * A release's config as stored in Release.config: `{ KEY: { value, secret } }` where each value is
 * the environment variable's sealed value as it was (sealed with the site key for the context
 * `env:<environment id>:<KEY>`, the EnvironmentVariable's own), so making a release copies sealed
 * values and never sees them in the clear; only the deploy opens them, into the containers' environment.
 */
export const releaseConfigContext = (environmentId: string, key: string) => `env:${environmentId}:${key}`;

export type SealedConfig = Record<string, { value: string; secret: boolean }>;

/** The release's config opened: what its containers get as environment variables. */
export function openReleaseConfig(key: SecretKey, environmentId: string, stored: string, where: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stored || "{}");
  } catch (err) {
    throw new InvalidArgument(`${where}: its config is not JSON: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new InvalidArgument(`${where}: its config is not an object of { KEY: { value, secret } }`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    const value = (v as { value?: unknown } | null)?.value;
    if (typeof value !== "string") throw new InvalidArgument(`${where}: config ${k} has no sealed value`);
    out[k] = open(key, releaseConfigContext(environmentId, k), value);
  }
  return out;
}
