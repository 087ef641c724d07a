-- Teams, roles, invitations, host-path grants, quotas, audit log; teamId on owned rows.
-- AlterTable
ALTER TABLE "User" ADD COLUMN "email" TEXT;
ALTER TABLE "User" ADD COLUMN "oidcSubject" TEXT;

-- CreateTable
CREATE TABLE "Team" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "personal" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "maxContainers" INTEGER,
    "maxMemory" BIGINT,
    "maxCpus" REAL,
    "maxDisk" BIGINT
);

-- CreateTable
CREATE TABLE "TeamMember" (
    "teamId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("teamId", "userId"),
    CONSTRAINT "TeamMember_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "TeamMember_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "TeamInvitation" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "teamId" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "createdById" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME,
    "usedById" TEXT,
    CONSTRAINT "TeamInvitation_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "TeamHostPath" (
    "teamId" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "readOnly" BOOLEAN NOT NULL DEFAULT true,

    PRIMARY KEY ("teamId", "path"),
    CONSTRAINT "TeamHostPath_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "time" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actorId" TEXT,
    "actorName" TEXT NOT NULL,
    "teamId" TEXT,
    "teamName" TEXT,
    "action" TEXT NOT NULL,
    "target" TEXT NOT NULL DEFAULT '',
    "address" TEXT NOT NULL DEFAULT '',
    "client" TEXT NOT NULL DEFAULT '',
    "result" TEXT NOT NULL,
    "detail" TEXT NOT NULL DEFAULT ''
);


-- Teams for an existing install: every user gets a personal team of their own name (owner).
INSERT INTO "Team" ("id", "name", "personal", "createdAt")
  SELECT lower(hex(randomblob(12))), "name", 1, "createdAt" FROM "User";
INSERT INTO "TeamMember" ("teamId", "userId", "role", "createdAt")
  SELECT t."id", u."id", 'owner', u."createdAt" FROM "User" u JOIN "Team" t ON t."name" = u."name";
-- Rows but no user at all (never started since): a personal team for the admin start-up will make.
INSERT INTO "Team" ("id", "name", "personal")
  SELECT lower(hex(randomblob(12))), 'admin', 1
  WHERE NOT EXISTS (SELECT 1 FROM "User")
    AND (EXISTS (SELECT 1 FROM "Container") OR EXISTS (SELECT 1 FROM "Volume") OR EXISTS (SELECT 1 FROM "ImageTag") OR EXISTS (SELECT 1 FROM "Repository"));

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_ApiToken" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "readOnly" BOOLEAN NOT NULL DEFAULT false,
    "teamId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" DATETIME,
    CONSTRAINT "ApiToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ApiToken_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_ApiToken" ("createdAt", "hash", "id", "lastUsedAt", "name", "readOnly", "userId") SELECT "createdAt", "hash", "id", "lastUsedAt", "name", "readOnly", "userId" FROM "ApiToken";
DROP TABLE "ApiToken";
ALTER TABLE "new_ApiToken" RENAME TO "ApiToken";
CREATE UNIQUE INDEX "ApiToken_hash_key" ON "ApiToken"("hash");
CREATE TABLE "new_ImageTag" (
    "ref" TEXT NOT NULL PRIMARY KEY,
    "imageId" TEXT NOT NULL,
    "teamId" TEXT,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "ImageTag_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ImageTag_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
-- Existing tags go to the first admin's team, except the shared base busybox (any debian:<suite> bootstrapped
-- before teams stays the admin's; the site admin can make it shared again by re-bootstrapping).
INSERT INTO "new_ImageTag" ("imageId", "ref", "teamId", "updatedAt")
  SELECT "imageId", "ref", CASE WHEN "ref" LIKE 'busybox:%' THEN NULL ELSE COALESCE(
    (SELECT t."id" FROM "Team" t JOIN "TeamMember" m ON m."teamId" = t."id" JOIN "User" u ON u."id" = m."userId"
      WHERE t."personal" = 1 ORDER BY u."isAdmin" DESC, u."createdAt" ASC, u."id" ASC LIMIT 1),
    (SELECT "id" FROM "Team" ORDER BY "createdAt" ASC, "id" ASC LIMIT 1)) END, "updatedAt" FROM "ImageTag";
DROP TABLE "ImageTag";
ALTER TABLE "new_ImageTag" RENAME TO "ImageTag";
CREATE INDEX "ImageTag_teamId_idx" ON "ImageTag"("teamId");
CREATE TABLE "new_Container" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "teamId" TEXT NOT NULL,
    "imageId" TEXT NOT NULL,
    "imageRef" TEXT NOT NULL,
    "hostId" TEXT NOT NULL,
    "cmd" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'created',
    "exitCode" INTEGER,
    "error" TEXT,
    "autoRemove" BOOLEAN NOT NULL DEFAULT false,
    "options" TEXT NOT NULL DEFAULT '{}',
    "oomKilled" BOOLEAN NOT NULL DEFAULT false,
    "pid" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    CONSTRAINT "Container_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Container_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Container_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_Container" ("autoRemove", "cmd", "createdAt", "error", "exitCode", "finishedAt", "hostId", "id", "imageId", "imageRef", "name", "oomKilled", "options", "pid", "startedAt", "state", "teamId") SELECT "autoRemove", "cmd", "createdAt", "error", "exitCode", "finishedAt", "hostId", "id", "imageId", "imageRef", "name", "oomKilled", "options", "pid", "startedAt", "state", COALESCE(
    (SELECT t."id" FROM "Team" t JOIN "TeamMember" m ON m."teamId" = t."id" JOIN "User" u ON u."id" = m."userId"
      WHERE t."personal" = 1 ORDER BY u."isAdmin" DESC, u."createdAt" ASC, u."id" ASC LIMIT 1),
    (SELECT "id" FROM "Team" ORDER BY "createdAt" ASC, "id" ASC LIMIT 1)) FROM "Container";
DROP TABLE "Container";
ALTER TABLE "new_Container" RENAME TO "Container";
CREATE INDEX "Container_state_idx" ON "Container"("state");
CREATE UNIQUE INDEX "Container_teamId_name_key" ON "Container"("teamId", "name");
CREATE TABLE "new_Repository" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "teamId" TEXT,
    "ownerId" TEXT,
    "isPublic" BOOLEAN NOT NULL DEFAULT false,
    "description" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Repository_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Repository_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Repository" ("createdAt", "description", "id", "isPublic", "name", "namespace", "ownerId", "updatedAt", "teamId") SELECT r."createdAt", r."description", r."id", r."isPublic", r."name", r."namespace", r."ownerId", r."updatedAt", COALESCE((SELECT t."id" FROM "Team" t WHERE t."name" = r."namespace"), COALESCE(
    (SELECT t."id" FROM "Team" t JOIN "TeamMember" m ON m."teamId" = t."id" JOIN "User" u ON u."id" = m."userId"
      WHERE t."personal" = 1 ORDER BY u."isAdmin" DESC, u."createdAt" ASC, u."id" ASC LIMIT 1),
    (SELECT "id" FROM "Team" ORDER BY "createdAt" ASC, "id" ASC LIMIT 1))) FROM "Repository" r;
DROP TABLE "Repository";
ALTER TABLE "new_Repository" RENAME TO "Repository";
CREATE UNIQUE INDEX "Repository_name_key" ON "Repository"("name");
CREATE INDEX "Repository_namespace_idx" ON "Repository"("namespace");
CREATE TABLE "new_Volume" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "hostId" TEXT NOT NULL,
    "driver" TEXT NOT NULL DEFAULT 'local',
    "labels" TEXT NOT NULL DEFAULT '{}',
    "anonymous" BOOLEAN NOT NULL DEFAULT false,
    "mountpoint" TEXT NOT NULL,
    "teamId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Volume_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_Volume" ("anonymous", "createdAt", "driver", "hostId", "labels", "mountpoint", "name", "teamId") SELECT "anonymous", "createdAt", "driver", "hostId", "labels", "mountpoint", "name", COALESCE(
    (SELECT t."id" FROM "Team" t JOIN "TeamMember" m ON m."teamId" = t."id" JOIN "User" u ON u."id" = m."userId"
      WHERE t."personal" = 1 ORDER BY u."isAdmin" DESC, u."createdAt" ASC, u."id" ASC LIMIT 1),
    (SELECT "id" FROM "Team" ORDER BY "createdAt" ASC, "id" ASC LIMIT 1)) FROM "Volume";
DROP TABLE "Volume";
ALTER TABLE "new_Volume" RENAME TO "Volume";
CREATE INDEX "Volume_hostId_idx" ON "Volume"("hostId");
CREATE INDEX "Volume_teamId_idx" ON "Volume"("teamId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "Team_name_key" ON "Team"("name");

-- CreateIndex
CREATE INDEX "TeamMember_userId_idx" ON "TeamMember"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "TeamInvitation_hash_key" ON "TeamInvitation"("hash");

-- CreateIndex
CREATE INDEX "AuditEvent_teamId_time_idx" ON "AuditEvent"("teamId", "time");

-- CreateIndex
CREATE INDEX "AuditEvent_actorId_time_idx" ON "AuditEvent"("actorId", "time");

-- CreateIndex
CREATE INDEX "AuditEvent_time_idx" ON "AuditEvent"("time");

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- CreateIndex
CREATE UNIQUE INDEX "User_oidcSubject_key" ON "User"("oidcSubject");


-- The audit log is append-only: no API, and no query either, edits or removes an entry.
CREATE TRIGGER "AuditEvent_no_update" BEFORE UPDATE ON "AuditEvent" BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER "AuditEvent_no_delete" BEFORE DELETE ON "AuditEvent" BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
