-- Promotion to another registry (issue 17): an environment may name a registry repository its
-- releases are copied to (by digest, verified) with sealed credentials; such an environment runs
-- elsewhere. A release records where each service's image was copied.
-- AlterTable
ALTER TABLE "Environment" ADD COLUMN "registry" TEXT;
ALTER TABLE "Environment" ADD COLUMN "registryAuth" TEXT;

-- AlterTable
ALTER TABLE "Release" ADD COLUMN "copiedTo" TEXT;
