-- CreateTable
CREATE TABLE "ContainerRuntime" (
    "containerId" TEXT NOT NULL PRIMARY KEY,
    "restartCount" INTEGER NOT NULL DEFAULT 0,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "manuallyStopped" BOOLEAN NOT NULL DEFAULT false,
    CONSTRAINT "ContainerRuntime_containerId_fkey" FOREIGN KEY ("containerId") REFERENCES "Container" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

