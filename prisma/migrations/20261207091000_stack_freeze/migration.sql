-- Idle freeze (issue 15): when the worker froze the stack's containers (cgroup freezer); null: not frozen.
ALTER TABLE "Stack" ADD COLUMN "frozenAt" DATETIME;
