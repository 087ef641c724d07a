import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "@prisma/client";
import { config } from "./config.js";
import { closeReader, registerReader } from "./db-read.js";
import { watchWrites } from "./db-writes.js";
import { FailedPrecondition } from "./errors.js";

export { PrismaClient, Prisma } from "@prisma/client";
export type * as Db from "@prisma/client";
export { onTableWrite } from "./db-writes.js";
export { readRows, type ReadParam } from "./db-read.js";

export const isPostgresUrl = (url: string) => /^postgres(ql)?:/.test(url);

/** A Prisma client over a driver adapter (no Rust engine: works offline). */
export function createDb(url: string = config().databaseUrl): PrismaClient {
  if (isPostgresUrl(url)) {
    throw new FailedPrecondition("DATABASE_URL points at PostgreSQL, which this version does not support yet: unset it to use SQLite in BERTH_HOME");
  }
  // better-sqlite3 waits for a lock synchronously: the whole process stalls for up to this long.
  // Watched, so caches of rows (web's sign-in cache) hear of every write to them (db-writes.ts).
  const client = new PrismaClient({ adapter: watchWrites(new PrismaBetterSQLite3({ url, timeout: config().dbBusyTimeoutMs })) });
  // Hot reads go to a second connection (db-read.ts), which ends with the client's.
  registerReader(client, url, config().dbBusyTimeoutMs);
  const disconnect = client.$disconnect.bind(client);
  client.$disconnect = async () => {
    closeReader(client);
    await disconnect();
  };
  return client;
}

let shared: PrismaClient | undefined;
/** One client per process. */
export function db(): PrismaClient {
  shared ??= createDb();
  return shared;
}

/**
 * SQLite: WAL so web and worker share the file; busy timeout so writers wait instead of failing.
 *
 * synchronous=NORMAL, said explicitly: better-sqlite3's build makes it the default only for a file
 * that is already in WAL mode when opened, so a fresh BERTH_HOME ran with FULL until the first
 * restart. In WAL mode NORMAL loses no committed transaction when a process crashes (the WAL is in
 * the OS before a commit returns) and never corrupts the file; only a power loss or kernel crash
 * can roll back the last transactions since the WAL was last synced. FULL adds an fsync to every
 * commit (measured here: ~0.8 ms against ~0.04 ms a commit, several commits a pushed blob). What
 * such a loss leaves is safe: a blob file (fsynced before its rename) without its row is collected
 * by the garbage collector, and a lost tag is pushed again.
 */
export async function prepareDb(client: PrismaClient): Promise<void> {
  await client.$queryRawUnsafe("PRAGMA journal_mode=WAL");
  await client.$queryRawUnsafe("PRAGMA synchronous=NORMAL");
  await client.$queryRawUnsafe(`PRAGMA busy_timeout=${config().dbBusyTimeoutMs}`);
}
