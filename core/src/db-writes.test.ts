import path from "node:path";
import { describe, expect, it } from "vitest";
import { createDb, onTableWrite, prepareDb } from "./db.js";
import { useScratchDb } from "./scratch-db.test-helpers.js";

const scratch = useScratchDb("db-writes", [
  `CREATE TABLE "Team" ("id" TEXT PRIMARY KEY, "name" TEXT)`,
  `CREATE TABLE "TeamMember" ("teamId" TEXT, "userId" TEXT, "role" TEXT, PRIMARY KEY ("teamId", "userId"))`,
  `CREATE TABLE "Other" ("id" TEXT PRIMARY KEY, "label" TEXT)`,
]);

describe("onTableWrite", () => {
  it("hears every write to a watched table, and no read nor write elsewhere", async () => {
    const heard: string[] = [];
    const stop = onTableWrite(["Team"], () => heard.push("team"));
    try {
      await scratch.db.$executeRaw`INSERT INTO "Team" ("id", "name") VALUES ('t1', 'acme')`;
      expect(heard).toEqual(["team"]);
      await scratch.db.$queryRaw`SELECT * FROM "Team"`;
      await scratch.db.$executeRaw`INSERT INTO "Other" ("id", "label") VALUES ('o1', 'x')`;
      // TeamMember is another table: "Team" inside its name is not a write to Team.
      await scratch.db.$executeRaw`INSERT INTO "TeamMember" ("teamId", "userId", "role") VALUES ('t1', 'u1', 'owner')`;
      expect(heard).toEqual(["team"]);
      await scratch.db.$executeRaw`update Team set name = 'acme2' where id = 't1'`;
      await scratch.db.$executeRaw`DELETE FROM "Team" WHERE "id" = 'none'`;
      expect(heard).toEqual(["team", "team", "team"]);
    } finally {
      stop();
    }
    await scratch.db.$executeRaw`DELETE FROM "Team"`;
    expect(heard).toHaveLength(3);
  });

  it("in a transaction: after the write and again at commit or rollback, when the change becomes real or undone", async () => {
    const heard: string[] = [];
    const stop = onTableWrite(["TeamMember"], () => heard.push("member"));
    try {
      await scratch.db.$transaction(async (tx) => {
        await tx.$executeRaw`UPDATE "TeamMember" SET "role" = 'viewer' WHERE "userId" = 'u1'`;
        expect(heard).toEqual(["member"]);
        await tx.$queryRaw`SELECT 1`;
      });
      expect(heard).toEqual(["member", "member"]);
      await expect(
        scratch.db.$transaction(async (tx) => {
          await tx.$executeRaw`DELETE FROM "TeamMember" WHERE "userId" = 'u1'`;
          throw new Error("changed my mind");
        }),
      ).rejects.toThrow("changed my mind");
      expect(heard).toEqual(["member", "member", "member", "member"]);
      // The rollback kept the row.
      expect(await scratch.db.$queryRaw<{ role: string }[]>`SELECT "role" FROM "TeamMember" WHERE "userId" = 'u1'`).toEqual([{ role: "viewer" }]);
      // A transaction that writes nothing watched says nothing at its end.
      await scratch.db.$transaction(async (tx) => {
        await tx.$executeRaw`INSERT INTO "Other" ("id", "label") VALUES ('o2', 'y')`;
      });
      expect(heard).toHaveLength(4);
    } finally {
      stop();
    }
  });

});

describe("prepareDb", () => {
  it("leaves SQLite in WAL mode with synchronous=NORMAL, on a fresh file as on a reopened one", async () => {
    for (const name of ["fresh.db", "fresh.db"]) {
      const c = createDb(`file:${path.join(scratch.dir, name)}`);
      try {
        await prepareDb(c);
        const [mode] = await c.$queryRawUnsafe<{ journal_mode: string }[]>("PRAGMA journal_mode");
        const [sync] = await c.$queryRawUnsafe<{ synchronous: bigint | number }[]>("PRAGMA synchronous");
        expect(mode?.journal_mode).toBe("wal");
        expect(Number(sync?.synchronous)).toBe(1);
      } finally {
        await c.$disconnect();
      }
    }
  });
});
