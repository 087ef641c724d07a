// A pending Release row written as rel-api's promote writes one (every image by digest, the
// compose project, the environment's config sealed for that environment, the health check), for
// the release tests and bench/deploy-release.mjs, which then deploy it with deployRelease().
// Plain JavaScript so that the benchmark (plain Node) can import it too; types in the .d.mts.
import { randomUUID } from "node:crypto";

/**
 * The compose project a release records, from `services` (`{ name: { image, expose, ... } }`:
 * each service's name is filled in), with the default network and no volumes unless given.
 */
export function releaseProject(services, volumes = {}) {
  return {
    name: "shop",
    workingDir: "/src",
    services: Object.fromEntries(Object.entries(services).map(([name, svc]) => [name, { name, ...svc }])),
    networks: { default: { external: false, labels: {} } },
    volumes,
    warnings: [],
  };
}

/**
 * Writes a pending release of environment `environmentId` numbered `number`; `config` values
 * are sealed with `seal(context, value)` (web's secrets.seal with the site key) for the
 * environment, as Release.config stores them. Returns its id and number.
 */
export async function writeRelease(db, o) {
  const id = randomUUID();
  const config = Object.fromEntries(Object.entries(o.config ?? {}).map(([k, v]) => [k, { value: o.seal(`env:${o.environmentId}:${k}`, v.value), secret: v.secret ?? false }]));
  await db.release.create({
    data: {
      id,
      environmentId: o.environmentId,
      number: o.number,
      images: JSON.stringify(o.images),
      project: JSON.stringify(o.project),
      config: JSON.stringify(config),
      configVersion: 1,
      health: JSON.stringify(o.health),
      releaseCommand: o.releaseCommand ?? null,
      sha: o.sha === undefined ? `${o.number}`.repeat(40).slice(0, 40) : o.sha,
      reason: o.reason ?? `test v${o.number}`,
      createdByName: o.createdByName ?? "test",
    },
  });
  return { id, number: o.number };
}
