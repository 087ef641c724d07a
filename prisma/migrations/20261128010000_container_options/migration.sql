-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Container" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
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
    CONSTRAINT "Container_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Container_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_Container" ("autoRemove", "cmd", "createdAt", "error", "exitCode", "finishedAt", "hostId", "id", "imageId", "imageRef", "name", "pid", "startedAt", "state") SELECT "autoRemove", "cmd", "createdAt", "error", "exitCode", "finishedAt", "hostId", "id", "imageId", "imageRef", "name", "pid", "startedAt", "state" FROM "Container";
DROP TABLE "Container";
ALTER TABLE "new_Container" RENAME TO "Container";
CREATE UNIQUE INDEX "Container_name_key" ON "Container"("name");
CREATE INDEX "Container_state_idx" ON "Container"("state");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

