-- Copy-on-write volumes (`volume create NEW --from SRC`): the frozen layers a volume's overlay
-- reads (JSON, topmost first; "[]" for a plain directory) and the volume it was a snapshot of.
-- AlterTable
ALTER TABLE "Volume" ADD COLUMN "layers" TEXT NOT NULL DEFAULT '[]';
ALTER TABLE "Volume" ADD COLUMN "sourceId" TEXT;
