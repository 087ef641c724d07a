-- AlterTable: a team's idle time before its stacks freeze (ms; 0: never), 30 minutes unless changed.
ALTER TABLE "Team" ADD COLUMN "freezeAfterMs" INTEGER NOT NULL DEFAULT 1800000;
