-- Environments, their config and releases (issue 17): a project's staging, production… each with
-- its own sealed config, and an immutable numbered record of every release deployed to it.
-- CreateTable
CREATE TABLE "Environment" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "projectId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "branch" TEXT,
    "replicas" INTEGER NOT NULL DEFAULT 1,
    "cpus" REAL,
    "memoryBytes" BIGINT,
    "domains" TEXT NOT NULL DEFAULT '[]',
    "configVersion" INTEGER NOT NULL DEFAULT 0,
    "watchSeconds" INTEGER NOT NULL DEFAULT 60,
    "liveRelease" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Environment_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "EnvironmentVariable" (
    "environmentId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "secret" BOOLEAN NOT NULL DEFAULT false,
    "updatedBy" TEXT,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("environmentId", "key"),
    CONSTRAINT "EnvironmentVariable_environmentId_fkey" FOREIGN KEY ("environmentId") REFERENCES "Environment" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Release" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "environmentId" TEXT NOT NULL,
    "number" INTEGER NOT NULL,
    "images" TEXT NOT NULL,
    "project" TEXT NOT NULL,
    "config" TEXT NOT NULL,
    "configVersion" INTEGER NOT NULL,
    "health" TEXT NOT NULL,
    "releaseCommand" TEXT,
    "sha" TEXT,
    "reason" TEXT NOT NULL,
    "source" TEXT,
    "createdById" TEXT,
    "createdByName" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "error" TEXT,
    "deployedAt" DATETIME,
    CONSTRAINT "Release_environmentId_fkey" FOREIGN KEY ("environmentId") REFERENCES "Environment" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "Environment_projectId_idx" ON "Environment"("projectId");

-- CreateIndex
CREATE UNIQUE INDEX "Environment_projectId_name_key" ON "Environment"("projectId", "name");

-- CreateIndex
CREATE INDEX "Release_environmentId_idx" ON "Release"("environmentId");

-- CreateIndex
CREATE UNIQUE INDEX "Release_environmentId_number_key" ON "Release"("environmentId", "number");
