import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { FailedPrecondition, InvalidArgument } from "@berth/core";
import type { SecretKey } from "./key.js";

/**
 * Config secrets sealed at rest with AES-256-GCM: `v1:<key id>:<base64url(iv | ciphertext | tag)>`.
 * The context (e.g. "env:<environment id>:DATABASE_URL") is authenticated, not stored: a sealed
 * value copied to another variable or environment fails to open instead of leaking there.
 */
const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function seal(key: SecretKey, context: string, plain: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key.bytes, iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return `${VERSION}:${key.id}:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url")}`;
}

export function open(key: SecretKey, context: string, sealed: string): string {
  const [version, keyId, data] = sealed.split(":");
  if (version !== VERSION || !keyId || data === undefined) throw new InvalidArgument(`not a sealed value (expected ${VERSION}:<key id>:<data>)`);
  if (keyId !== key.id) {
    throw new FailedPrecondition(`this value was sealed with key ${keyId}, but $BERTH_HOME/secrets.key is key ${key.id}: restore the key it was sealed with, or set the value again`);
  }
  const raw = Buffer.from(data, "base64url");
  if (raw.length < IV_BYTES + TAG_BYTES) throw new InvalidArgument("a sealed value too short to hold its nonce and tag");
  const decipher = createDecipheriv("aes-256-gcm", key.bytes, raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(context, "utf8"));
  decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString("utf8");
  } catch {
    throw new FailedPrecondition(`a sealed value for ${context} does not open: it was changed, or sealed for another variable`);
  }
}

/** How a secret is shown once set: its length hidden too (a 4-character password shows as much as a 40-character one). */
export function mask(plain: string): string {
  return plain.length === 0 ? "" : "••••••••";
}
