import { EnvironmentName, InvalidArgument, isNotFound } from "@berth/core";
import { type ComposeProject, LABEL, scopedName } from "@berth/core/compose";
import type { Services } from "../services.js";
import { snapshotVolume } from "../volumes/service.js";

/**
 * berth.yaml's `data:`: each named compose volume of the preview starts as a copy-on-write
 * snapshot of a team volume (a seed, or what staging runs on), whatever its size. Made once, when
 * the preview first needs it: later pushes keep the preview's own writes; removing the preview
 * discards them. The source is never written.
 */
/**
 * The team volume a `data:` entry names: a volume by name (a seed), or `env:<environment>[:<volume>]`,
 * the volume of that environment's running release (its stack is `env--<environment>--<project>`;
 * the volume key defaults to the preview's own), so a preview starts from what staging runs on.
 */
export function sourceVolume(from: string, key: string, project: string): { name: string; env?: string } {
  const m = /^env:([^:]+)(?::(.+))?$/.exec(from);
  if (!m) return { name: from };
  const env = EnvironmentName.safeParse(m[1]);
  if (!env.success) throw new InvalidArgument(`berth.yaml: data.${key}: "${from}" names no environment: write env:<environment>[:<volume>], e.g. env:staging`);
  return { name: scopedName(`env--${env.data}--${project}`, m[2] ?? key), env: env.data };
}

export async function seedVolumes(s: Services, teamId: string, project: ComposeProject, projectName: string, data: Record<string, string>, say: (line: string) => void): Promise<void> {
  for (const [key, from] of Object.entries(data).sort(([a], [b]) => a.localeCompare(b))) {
    const decl = project.volumes[key];
    if (!decl) throw new InvalidArgument(`berth.yaml: data.${key}: the compose file declares no volume "${key}" (its volumes: ${Object.keys(project.volumes).join(", ") || "none"})`);
    if (decl.external) throw new InvalidArgument(`berth.yaml: data.${key}: volume "${key}" is external: a preview snapshots only volumes of its own`);
    const name = scopedName(project.name, key, decl.name);
    if (await s.db.volume.findUnique({ where: { teamId_name: { teamId, name } }, select: { id: true } })) continue;
    const src = sourceVolume(from, key, projectName);
    try {
      await snapshotVolume(s, teamId, src.name, name, { ...decl.labels, [LABEL.project]: project.name, [LABEL.volume]: key });
    } catch (err) {
      if (isNotFound(err)) {
        throw new InvalidArgument(
          src.env
            ? `berth.yaml: data.${key}: environment ${src.env} of ${projectName} has no volume ${src.name} to start from (is a release deployed there? berth env ls ${projectName})`
            : `berth.yaml: data.${key}: the team has no volume "${from}" to start from (berth volume ls)`,
        );
      }
      throw err;
    }
    say(`volume ${name}: a copy-on-write snapshot of ${src.name}${src.env ? ` (environment ${src.env})` : ""}`);
  }
}
