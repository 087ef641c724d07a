import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createDb, prepareDb, readRows } from "./db.js";
import { useScratchDb } from "./scratch-db.test-helpers.js";

const scratch = useScratchDb("db-read", [
  `CREATE TABLE "Repo" ("id" TEXT PRIMARY KEY, "name" TEXT, "isPublic" BOOLEAN)`,
]);

const byName = (name: string) => readRows<{ id: string; isPublic: number }>(scratch.db, `SELECT "id", "isPublic" FROM "Repo" WHERE "name" = ?`, name);

describe("readRows", () => {
  it("sees a row as soon as Prisma's write has committed, and its later changes", async () => {
    expect(byName("acme/web")).toEqual([]);
    await scratch.db.$executeRaw`INSERT INTO "Repo" ("id", "name", "isPublic") VALUES ('r1', 'acme/web', true)`;
    expect(byName("acme/web")).toEqual([{ id: "r1", isPublic: 1 }]);
    await scratch.db.$executeRaw`UPDATE "Repo" SET "isPublic" = false WHERE "id" = 'r1'`;
    expect(byName("acme/web")).toEqual([{ id: "r1", isPublic: 0 }]);
    await scratch.db.$executeRaw`DELETE FROM "Repo" WHERE "id" = 'r1'`;
    expect(byName("acme/web")).toEqual([]);
  });

  it("never sees a transaction that is still open on Prisma's connection, nor one rolled back", async () => {
    const seenInside: unknown[] = [];
    await expect(
      scratch.db.$transaction(async (tx) => {
        await tx.$executeRaw`INSERT INTO "Repo" ("id", "name", "isPublic") VALUES ('r2', 'acme/db', false)`;
        // Prisma's own connection sees its uncommitted row; the read connection must not.
        expect(await tx.$queryRaw<unknown[]>`SELECT "id" FROM "Repo" WHERE "name" = 'acme/db'`).toHaveLength(1);
        seenInside.push(...byName("acme/db"));
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect(seenInside).toEqual([]);
    expect(byName("acme/db")).toEqual([]);
  });

  it("may not write: a statement that would is refused, and nothing changes", async () => {
    await scratch.db.$executeRaw`INSERT INTO "Repo" ("id", "name", "isPublic") VALUES ('r3', 'acme/cache', true)`;
    expect(() => readRows(scratch.db, `DELETE FROM "Repo" WHERE "id" = ? RETURNING "id"`, "r3")).toThrow(/readonly|read-only/i);
    expect(byName("acme/cache")).toHaveLength(1);
  });

  it("binds a list as one JSON parameter (json_each), the way the registry asks for many digests", async () => {
    await scratch.db.$executeRaw`INSERT INTO "Repo" ("id", "name", "isPublic") VALUES ('r4', 'acme/a', true), ('r5', 'acme/b', true)`;
    const rows = readRows<{ id: string }>(scratch.db, `SELECT "id" FROM "Repo" WHERE "name" IN (SELECT "value" FROM json_each(?)) ORDER BY "id"`, JSON.stringify(["acme/a", "acme/b", "acme/none"]));
    expect(rows.map((r) => r.id)).toEqual(["r4", "r5"]);
  });

  it("ends with the client: after $disconnect the file is closed, and a new client reads it again", async () => {
    const file = path.join(scratch.dir, "other.db");
    const first = createDb(`file:${file}`);
    await prepareDb(first);
    await first.$executeRawUnsafe(`CREATE TABLE "T" ("v" TEXT)`);
    await first.$executeRaw`INSERT INTO "T" ("v") VALUES ('kept')`;
    expect(readRows(first, `SELECT "v" FROM "T"`)).toEqual([{ v: "kept" }]);
    const fds = () => fs.readdirSync("/proc/self/fd").filter((fd) => { try { return fs.readlinkSync(`/proc/self/fd/${fd}`) === file; } catch { return false; } }).length;
    expect(fds()).toBeGreaterThanOrEqual(2); // Prisma's connection and the read connection
    await first.$disconnect();
    expect(fds()).toBe(0);
    const second = createDb(`file:${file}`);
    expect(readRows(second, `SELECT "v" FROM "T"`)).toEqual([{ v: "kept" }]);
    await second.$disconnect();
  });
});
