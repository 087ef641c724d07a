import type { Logger } from "@berth/core";
import type { PrismaClient } from "@berth/core/db";
import { readRoutesFile } from "../../edge/named-routes.js";
import { previewEngine } from "./deployer.js";
import { serially } from "./push.js";

type Deps = { db: PrismaClient; log: Logger; home: string };

/**
 * berth.yaml's `ttl`: a preview not deployed again within it is removed with its containers,
 * volumes and route (the branch stays in git: the next push deploys it again). The deploy writes
 * the deadline on the preview's route; this sweeps the routes. Returns what it removed.
 */
export async function sweepExpiredPreviews(s: Deps, now = Date.now()): Promise<{ project: string; branch: string }[]> {
  const engine = previewEngine();
  if (!engine) return [];
  const file = await readRoutesFile(s.home);
  const removed: { project: string; branch: string }[] = [];
  const expired = (labels: Record<string, string> | undefined) => !!labels?.expiresAt && Date.parse(labels.expiresAt) <= now;
  for (const [name, route] of Object.entries(file.routes)) {
    const { expiresAt, project: projectSlug, branch } = route.labels ?? {};
    if (!expired(route.labels) || !projectSlug || !branch) continue;
    const project = await s.db.project.findUnique({ where: { teamId_name: { teamId: route.teamId, name: projectSlug } }, include: { team: { select: { name: true } } } });
    if (!project) continue;
    // One at a time with pushes to the same branch: a push that just redeployed it wins.
    await serially(`${project.teamId}/${project.name}/${branch}`, async () => {
      // Deployed again since the routes were read: its new deadline stands.
      if (!expired((await readRoutesFile(s.home)).routes[name]?.labels)) return;
      const row = await s.db.projectBranch.findUnique({ where: { projectId_name: { projectId: project.id, name: branch } } });
      const lines: string[] = [];
      await engine.remove({ teamId: project.teamId, teamName: project.team.name, projectId: project.id, project: project.name, branch, onLine: (l) => lines.push(l) });
      if (row) await s.db.projectBranch.update({ where: { projectId_name: { projectId: project.id, name: branch } }, data: { state: "removed", url: null, error: `expired: not deployed again within its ttl (until ${expiresAt}); push the branch to deploy it again`, log: lines.join("\n") } });
      s.log.info({ project: project.name, branch, expiresAt }, "preview expired: removed");
      removed.push({ project: project.name, branch });
    });
  }
  return removed;
}

/** Sweeps every `everyMs` until stopped; a failed sweep is logged and the next one tries again. */
export function startPreviewExpiry(s: Deps, everyMs: number): () => void {
  const timer = setInterval(() => {
    sweepExpiredPreviews(s).catch((err: unknown) => s.log.warn({ err: (err as Error).message }, "sweeping expired previews failed"));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
