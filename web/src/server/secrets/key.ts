import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { FailedPrecondition } from "@berth/core";

/** The site's key for config secrets at rest: 32 random bytes in `$BERTH_HOME/secrets.key`, readable by root only. */
export interface SecretKey {
  /** First 8 hex digits of the key's sha256: names the key in each sealed value, so a value sealed with another key says so. */
  id: string;
  bytes: Buffer;
}

export const SECRET_KEY_FILE = "secrets.key";
const KEY_BYTES = 32;

function keyOf(bytes: Buffer): SecretKey {
  return { id: createHash("sha256").update(bytes).digest("hex").slice(0, 8), bytes };
}

/**
 * Reads the key, making it on first use. Web processes may race to make it: each writes its own
 * candidate and links it into place, and whoever loses reads the winner's, so all agree.
 */
export async function loadSecretKey(home: string): Promise<SecretKey> {
  const file = path.join(home, SECRET_KEY_FILE);
  try {
    return keyOf(await readKey(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  await fs.mkdir(home, { recursive: true });
  const candidate = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  await fs.writeFile(candidate, randomBytes(KEY_BYTES), { mode: 0o600, flag: "wx" });
  try {
    await fs.link(candidate, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    await fs.rm(candidate, { force: true });
  }
  return keyOf(await readKey(file));
}

async function readKey(file: string): Promise<Buffer> {
  const bytes = await fs.readFile(file);
  if (bytes.length !== KEY_BYTES) {
    throw new FailedPrecondition(`${file} holds ${bytes.length} bytes, not a ${KEY_BYTES}-byte key: restore it from a backup (sealed config values cannot be read without it)`);
  }
  const mode = (await fs.stat(file)).mode & 0o077;
  if (mode !== 0) throw new FailedPrecondition(`${file} is readable by group or others (mode ${((await fs.stat(file)).mode & 0o777).toString(8)}): chmod 600 ${file}`);
  return bytes;
}
