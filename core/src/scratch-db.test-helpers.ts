import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { createDb, prepareDb, type PrismaClient } from "./db.js";

/**
 * A database of one test file: a fresh SQLite file in a directory of its own, prepared as Berth
 * prepares its own and given `tables` (CREATE TABLE statements) before the tests, and removed
 * after them. Read `db` and `dir` inside tests (they are set once beforeAll has run).
 */
export function useScratchDb(name: string, tables: string[]): { readonly db: PrismaClient; readonly dir: string } {
  const s = { db: undefined as PrismaClient | undefined, dir: "" };
  beforeAll(async () => {
    s.dir = fs.mkdtempSync(path.join(os.tmpdir(), `berth-${name}-`));
    s.db = createDb(`file:${path.join(s.dir, "t.db")}`);
    await prepareDb(s.db);
    for (const sql of tables) await s.db.$executeRawUnsafe(sql);
  });
  afterAll(async () => {
    await s.db?.$disconnect();
    if (s.dir) fs.rmSync(s.dir, { recursive: true, force: true });
  });
  return {
    get db() {
      if (!s.db) throw new Error("useScratchDb: the database is made in beforeAll; use it inside a test");
      return s.db;
    },
    get dir() {
      return s.dir;
    },
  };
}
