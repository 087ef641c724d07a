-- Stacks: a compose project's desired state, owned by a team (name unique within it), and the
-- last converge's state of each of its services.
-- CreateTable
CREATE TABLE "Stack" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "teamId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "project" TEXT NOT NULL,
    "workingDir" TEXT NOT NULL,
    "createdById" TEXT,
    "updatedById" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Stack_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "StackService" (
    "stackId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "configHash" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "error" TEXT,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("stackId", "name"),
    CONSTRAINT "StackService_stackId_fkey" FOREIGN KEY ("stackId") REFERENCES "Stack" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "Stack_teamId_idx" ON "Stack"("teamId");

-- CreateIndex
CREATE UNIQUE INDEX "Stack_teamId_name_key" ON "Stack"("teamId", "name");
