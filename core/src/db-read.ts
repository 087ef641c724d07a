/**
 * Hot reads outside Prisma. Every request of a push or a pull looks up its repository (and a
 * blob or tag in it), and Prisma's query path costs ~0.15–0.3 ms of CPU a statement where a
 * prepared better-sqlite3 statement costs ~5 µs (measured on this host), several times a push.
 *
 * The reads go to a second connection to the same file that may not write (query_only). It
 * sees what is committed, as another process would, and never the open transaction of a
 * statement on Prisma's connection: use it for a request's own lookups, not inside a
 * transaction that must read its own writes.
 */
import Database from "better-sqlite3";
import type { PrismaClient } from "@prisma/client";

/** A value a statement takes: what the hot lookups bind (names, digests, ids). */
export type ReadParam = string | number | null;

interface Reader {
  path: string;
  busyTimeoutMs: number;
  conn?: Database.Database;
  statements: Map<string, Database.Statement>;
}

const readers = new WeakMap<PrismaClient, Reader>();

/** Records where `db` keeps its file (createDb calls it); the connection opens at the first read. */
export function registerReader(db: PrismaClient, url: string, busyTimeoutMs: number): void {
  // The adapter's own reading of the URL: everything after "file:" is the path.
  readers.set(db, { path: url.replace(/^file:/, ""), busyTimeoutMs, statements: new Map() });
}

function statement(db: PrismaClient, sql: string): Database.Statement {
  const r = readers.get(db);
  if (!r) throw new Error("readRows: this Prisma client was not made by createDb, so its file is unknown");
  let s = r.statements.get(sql);
  if (s) return s;
  if (!r.conn) {
    // Not readonly: a read-only connection cannot open a WAL file whose -shm it may not write.
    let conn: Database.Database;
    try {
      conn = new Database(r.path, { fileMustExist: true, timeout: r.busyTimeoutMs });
    } catch (e) {
      // better-sqlite3 says only "unable to open database file": name the file.
      throw new Error(`opening the read connection to the database ${r.path} failed: ${(e as Error).message}`, { cause: e });
    }
    conn.pragma("query_only = ON");
    r.conn = conn;
  }
  s = r.conn.prepare(sql);
  r.statements.set(sql, s);
  return s;
}

/**
 * The rows of a SELECT with `?` placeholders, read through the file's read connection. Booleans
 * come back as 0/1 and timestamps as stored, as from `$queryRaw`.
 */
export function readRows<T>(db: PrismaClient, sql: string, ...params: ReadParam[]): T[] {
  return statement(db, sql).all(...params) as T[];
}

/** Closes the read connection of `db` (at $disconnect's side, for tests that remove the file). */
export function closeReader(db: PrismaClient): void {
  const r = readers.get(db);
  if (!r?.conn) return;
  r.conn.close();
  r.conn = undefined;
  r.statements.clear();
}
