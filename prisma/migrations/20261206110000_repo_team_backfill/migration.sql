-- Repositories with no team (made before the registry gave each new repository its namespace's
-- team): `ns/x` goes to the team named `ns` if one exists, otherwise to the first admin's
-- personal team. No schema change: data only.

-- The first admin's personal team, if the admin has none yet (personal teams are otherwise made
-- at their first request) and the name is free.
INSERT INTO "Team" ("id", "name", "personal", "createdAt")
  SELECT lower(hex(randomblob(12))), u."name", 1, u."createdAt"
  FROM "User" u
  WHERE u."isAdmin" = 1
    AND EXISTS (SELECT 1 FROM "Repository" r WHERE r."teamId" IS NULL)
    AND u."id" = (SELECT "id" FROM "User" WHERE "isAdmin" = 1 ORDER BY "createdAt" ASC, "id" ASC LIMIT 1)
    AND NOT EXISTS (SELECT 1 FROM "TeamMember" m JOIN "Team" t ON t."id" = m."teamId" WHERE m."userId" = u."id" AND t."personal" = 1)
    AND NOT EXISTS (SELECT 1 FROM "Team" t WHERE lower(t."name") = lower(u."name"));
INSERT INTO "TeamMember" ("teamId", "userId", "role", "createdAt")
  SELECT t."id", u."id", 'owner', u."createdAt"
  FROM "User" u JOIN "Team" t ON t."name" = u."name" AND t."personal" = 1
  WHERE u."id" = (SELECT "id" FROM "User" WHERE "isAdmin" = 1 ORDER BY "createdAt" ASC, "id" ASC LIMIT 1)
    AND NOT EXISTS (SELECT 1 FROM "TeamMember" m WHERE m."teamId" = t."id");

UPDATE "Repository"
SET "teamId" = COALESCE(
  (SELECT t."id" FROM "Team" t WHERE lower(t."name") = lower("Repository"."namespace") ORDER BY t."createdAt" ASC, t."id" ASC LIMIT 1),
  (SELECT t."id" FROM "Team" t
     JOIN "TeamMember" m ON m."teamId" = t."id"
     JOIN "User" u ON u."id" = m."userId"
   WHERE t."personal" = 1 AND u."isAdmin" = 1
   ORDER BY u."createdAt" ASC, u."id" ASC LIMIT 1)
)
WHERE "teamId" IS NULL;
