import { readFeatureMetadata } from "./features.js";
import { LIFECYCLE_HOOKS } from "./lifecycle.js";
import type { DevcontainerPlan } from "./load.js";

/**
 * The configuration as Berth will apply it, in the shape of the reference CLI's
 * `mergedConfiguration`: each lifecycle hook as the list of commands run in order (local
 * features' own first, then the file's), the environments and portsAttributes present even when
 * empty. Features from a registry add their commands only once pulled (at `dev up`).
 */
export function mergedConfiguration(plan: DevcontainerPlan): Record<string, unknown> {
  const c = { ...plan.configuration };
  const local = plan.features.flatMap((f) => (f.source.kind === "local" ? [readFeatureMetadata(f.source.dir, `feature ${f.id}`)] : []));
  for (const h of LIFECYCLE_HOOKS) {
    c[`${h}s`] = [...local.flatMap((m) => (m.lifecycle[h] !== undefined ? [m.lifecycle[h]] : [])), ...(c[h] !== undefined ? [c[h]] : [])];
    delete c[h];
  }
  return { ...c, containerEnv: c.containerEnv ?? {}, remoteEnv: c.remoteEnv ?? {}, portsAttributes: c.portsAttributes ?? {} };
}
