-- A project's preview variables: given to each trusted preview (compose files interpolate them).
-- Values are sealed with the site key (web/src/server/secrets); a secret one is never shown again.
-- CreateTable
CREATE TABLE "ProjectVariable" (
    "projectId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "secret" BOOLEAN NOT NULL DEFAULT false,
    "updatedBy" TEXT,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("projectId", "key"),
    CONSTRAINT "ProjectVariable_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
