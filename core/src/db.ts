import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "@prisma/client";
import { config } from "./config.js";
import { FailedPrecondition } from "./errors.js";

export { PrismaClient, Prisma } from "@prisma/client";
export type * as Db from "@prisma/client";

export const isPostgresUrl = (url: string) => /^postgres(ql)?:/.test(url);

/** A Prisma client over a driver adapter (no Rust engine: works offline). */
export function createDb(url: string = config().databaseUrl): PrismaClient {
  if (isPostgresUrl(url)) {
    throw new FailedPrecondition("DATABASE_URL points at PostgreSQL, which this version does not support yet: unset it to use SQLite in BERTH_HOME");
  }
  // better-sqlite3 waits for a lock synchronously: the whole process stalls for up to this long.
  return new PrismaClient({ adapter: new PrismaBetterSQLite3({ url, timeout: config().dbBusyTimeoutMs }) });
}

let shared: PrismaClient | undefined;
/** One client per process. */
export function db(): PrismaClient {
  shared ??= createDb();
  return shared;
}

/** SQLite: WAL so web and worker share the file; busy timeout so writers wait instead of failing. */
export async function prepareDb(client: PrismaClient): Promise<void> {
  await client.$queryRawUnsafe("PRAGMA journal_mode=WAL");
  await client.$queryRawUnsafe(`PRAGMA busy_timeout=${config().dbBusyTimeoutMs}`);
}
