-- Image.size becomes BigInt: an image past 2 GiB overflows a 32-bit Int (PostgreSQL int4, Prisma Int).
-- SQLite stores both as INTEGER; the table is redefined only because Prisma compares the declared type.
-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Image" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "manifestDigest" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO "new_Image" ("createdAt", "id", "manifestDigest", "size") SELECT "createdAt", "id", "manifestDigest", "size" FROM "Image";
DROP TABLE "Image";
ALTER TABLE "new_Image" RENAME TO "Image";
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

