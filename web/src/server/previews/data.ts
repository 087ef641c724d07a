import { InvalidArgument, isNotFound } from "@berth/core";
import { type ComposeProject, LABEL, scopedName } from "@berth/core/compose";
import type { Services } from "../services.js";
import { snapshotVolume } from "../volumes/service.js";

/**
 * berth.yaml's `data:`: each named compose volume of the preview starts as a copy-on-write
 * snapshot of a team volume (a seed, or what staging runs on), whatever its size. Made once, when
 * the preview first needs it: later pushes keep the preview's own writes; removing the preview
 * discards them. The source is never written.
 */
export async function seedVolumes(s: Services, teamId: string, project: ComposeProject, data: Record<string, string>, say: (line: string) => void): Promise<void> {
  for (const [key, from] of Object.entries(data).sort(([a], [b]) => a.localeCompare(b))) {
    const decl = project.volumes[key];
    if (!decl) throw new InvalidArgument(`berth.yaml: data.${key}: the compose file declares no volume "${key}" (its volumes: ${Object.keys(project.volumes).join(", ") || "none"})`);
    if (decl.external) throw new InvalidArgument(`berth.yaml: data.${key}: volume "${key}" is external: a preview snapshots only volumes of its own`);
    const name = scopedName(project.name, key, decl.name);
    if (await s.db.volume.findUnique({ where: { teamId_name: { teamId, name } }, select: { id: true } })) continue;
    try {
      await snapshotVolume(s, teamId, from, name, { ...decl.labels, [LABEL.project]: project.name, [LABEL.volume]: key });
    } catch (err) {
      if (isNotFound(err)) throw new InvalidArgument(`berth.yaml: data.${key}: the team has no volume "${from}" to start from (berth volume ls)`);
      throw err;
    }
    say(`volume ${name}: a copy-on-write snapshot of ${from}`);
  }
}
