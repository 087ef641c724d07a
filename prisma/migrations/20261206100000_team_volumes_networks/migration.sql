-- Volumes belong to a team: a volume gets an id (its directory is volumes/<id>), its name is
-- unique within its team. A volume from before keeps its name as its id, so its directory and
-- mountpoint stay where they are; one without a team goes to the first admin's team, as the teams
-- migration did. (Networks live in the worker's networks.json: it gives a network from before
-- teams to the same team when it loads them.)
-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Volume" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "hostId" TEXT NOT NULL,
    "driver" TEXT NOT NULL DEFAULT 'local',
    "labels" TEXT NOT NULL DEFAULT '{}',
    "anonymous" BOOLEAN NOT NULL DEFAULT false,
    "mountpoint" TEXT NOT NULL,
    "teamId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Volume_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_Volume" ("id", "name", "hostId", "driver", "labels", "anonymous", "mountpoint", "teamId", "createdAt")
  SELECT "name", "name", "hostId", "driver", "labels", "anonymous", "mountpoint", COALESCE("teamId",
    (SELECT t."id" FROM "Team" t JOIN "TeamMember" m ON m."teamId" = t."id" JOIN "User" u ON u."id" = m."userId"
      WHERE t."personal" = 1 ORDER BY u."isAdmin" DESC, u."createdAt" ASC, u."id" ASC LIMIT 1),
    (SELECT "id" FROM "Team" ORDER BY "createdAt" ASC, "id" ASC LIMIT 1)), "createdAt" FROM "Volume";
DROP TABLE "Volume";
ALTER TABLE "new_Volume" RENAME TO "Volume";
CREATE INDEX "Volume_hostId_idx" ON "Volume"("hostId");
CREATE INDEX "Volume_teamId_idx" ON "Volume"("teamId");
CREATE UNIQUE INDEX "Volume_teamId_name_key" ON "Volume"("teamId", "name");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
