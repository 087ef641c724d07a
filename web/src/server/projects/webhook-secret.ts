import { config } from "@berth/core";
import { loadSecretKey, open, seal } from "../secrets/index.js";

/**
 * A project's webhook secret at rest: an HMAC is checked with the secret itself, so it cannot be
 * hashed like a token; it is sealed with the site key instead (bound to its project), so a copy
 * of the database alone does not let anyone forge a push.
 */
const context = (projectId: string) => `project:${projectId}:webhook`;

export async function sealWebhookSecret(projectId: string, secret: string): Promise<string> {
  return seal(await loadSecretKey(config().home), context(projectId), secret);
}

export async function openWebhookSecret(projectId: string, sealed: string): Promise<string> {
  return open(await loadSecretKey(config().home), context(projectId), sealed);
}
