import { randomBytes, timingSafeEqual } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { homePaths, Unauthenticated, type Logger } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";

/**
 * The one-time code that claims the password-less admin account (as Jupyter's start-up token):
 * whoever reaches the port (a container through its bridge gateway, a neighbour on the LAN)
 * must not become admin by being first. Web writes it to $BERTH_HOME/setup.code (0600) at
 * start-up while set-up is open; `npm start` prints it; a successful set-up deletes it.
 */

/** Set-up is open while no user has a password (a fresh install, or one run only through the CLI). */
export async function needsSetup(db: PrismaClient): Promise<boolean> {
  return (await db.user.count({ where: { passwordHash: { not: null } } })) === 0;
}

/** Start-up: a code exists exactly while set-up is open. */
export async function ensureSetupCode(db: PrismaClient, home: string, log: Logger): Promise<void> {
  const file = homePaths(home).setupCode;
  if (!(await needsSetup(db))) {
    await fs.rm(file, { force: true });
    return;
  }
  if (await readCode(file)) return;
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(tmp, `${randomBytes(16).toString("hex")}\n`, { mode: 0o600 });
  await fs.rename(tmp, file);
  log.info({ file }, "set-up is open: the dashboard asks for the code in this file");
}

/** Throws Unauthenticated unless `given` is the current code. */
export async function checkSetupCode(home: string, given: string | undefined): Promise<void> {
  const file = homePaths(home).setupCode;
  const expected = await readCode(file);
  if (!expected) throw new Unauthenticated(`no set-up code is open: restart Berth (npm start) to make one in ${file}`);
  if (!given) throw new Unauthenticated(`a set-up code is required: npm start printed it, and it is in ${file}`);
  const a = Buffer.from(expected);
  const b = Buffer.from(given.trim());
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new Unauthenticated(`wrong set-up code: use the one in ${file}`);
}

/** A successful set-up uses the code up. */
export async function consumeSetupCode(home: string): Promise<void> {
  await fs.rm(homePaths(home).setupCode, { force: true });
}

async function readCode(file: string): Promise<string> {
  try {
    return (await fs.readFile(file, "utf8")).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw err;
  }
}
