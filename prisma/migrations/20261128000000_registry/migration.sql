-- CreateTable
CREATE TABLE "Repository" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "ownerId" TEXT,
    "isPublic" BOOLEAN NOT NULL DEFAULT false,
    "description" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Repository_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "RepoBlob" (
    "repositoryId" TEXT NOT NULL,
    "digest" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("repositoryId", "digest"),
    CONSTRAINT "RepoBlob_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "RepoManifest" (
    "repositoryId" TEXT NOT NULL,
    "digest" TEXT NOT NULL,
    "mediaType" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "subject" TEXT,
    "artifactType" TEXT,
    "annotations" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("repositoryId", "digest"),
    CONSTRAINT "RepoManifest_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "RepoTag" (
    "repositoryId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "digest" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("repositoryId", "name"),
    CONSTRAINT "RepoTag_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "RepoTag_repositoryId_digest_fkey" FOREIGN KEY ("repositoryId", "digest") REFERENCES "RepoManifest" ("repositoryId", "digest") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "BlobUpload" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "repository" TEXT NOT NULL,
    "userId" TEXT,
    "size" BIGINT NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "Repository_name_key" ON "Repository"("name");

-- CreateIndex
CREATE INDEX "Repository_namespace_idx" ON "Repository"("namespace");

-- CreateIndex
CREATE INDEX "RepoBlob_digest_idx" ON "RepoBlob"("digest");

-- CreateIndex
CREATE INDEX "RepoManifest_repositoryId_subject_idx" ON "RepoManifest"("repositoryId", "subject");

-- CreateIndex
CREATE INDEX "RepoManifest_digest_idx" ON "RepoManifest"("digest");

-- CreateIndex
CREATE INDEX "BlobUpload_updatedAt_idx" ON "BlobUpload"("updatedAt");

