-- CreateTable
CREATE TABLE "Volume" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "hostId" TEXT NOT NULL,
    "driver" TEXT NOT NULL DEFAULT 'local',
    "labels" TEXT NOT NULL DEFAULT '{}',
    "anonymous" BOOLEAN NOT NULL DEFAULT false,
    "mountpoint" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "Volume_hostId_idx" ON "Volume"("hostId");

