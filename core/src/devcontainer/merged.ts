import { readFeatureMetadata, type FeatureMetadata } from "./features.js";
import { installOrder } from "./feature-order.js";
import { LIFECYCLE_HOOKS } from "./lifecycle.js";
import type { DevcontainerPlan } from "./load.js";

/** Local features in install order (registry ones are known only once pulled, at `dev up`). */
function localFeatures(plan: DevcontainerPlan): FeatureMetadata[] {
  const uses = plan.features.filter((f) => f.source.kind === "local");
  const metas = uses.map((f) => readFeatureMetadata((f.source as { dir: string }).dir, `feature ${f.id}`));
  try {
    const order = installOrder(uses.map((f, i) => ({ ref: f.id, id: metas[i]!.id, installsAfter: metas[i]!.installsAfter, dependsOn: [] })), plan.featureOrder.filter((o) => uses.some((u) => u.id === o)), plan.file);
    return order.map((i) => metas[i]!);
  } catch {
    return metas; // a cycle: `dev up` reports it
  }
}

/**
 * The configuration as Berth will apply it, in the shape of the reference CLI's
 * `mergedConfiguration`: each lifecycle hook as the list of commands run in order (local
 * features' own first, in install order, then the file's), what the features ask of the
 * container merged with the file's own (init, privileged, capAdd, securityOpt, entrypoints,
 * mounts), the environments and portsAttributes present even when empty. Features from a
 * registry add theirs only once pulled (at `dev up`).
 */
export function mergedConfiguration(plan: DevcontainerPlan): Record<string, unknown> {
  const c = { ...plan.configuration };
  const local = localFeatures(plan);
  for (const h of LIFECYCLE_HOOKS) {
    c[`${h}s`] = [...local.flatMap((m) => (m.lifecycle[h] !== undefined ? [m.lifecycle[h]] : [])), ...(c[h] !== undefined ? [c[h]] : [])];
    delete c[h];
  }
  const own = (k: string) => (Array.isArray(c[k]) ? (c[k] as unknown[]) : []);
  const needs = local.map((m) => m.container);
  c.init = needs.some((n) => n.init) || c.init === true;
  c.privileged = needs.some((n) => n.privileged) || c.privileged === true;
  const joined = (k: "capAdd" | "securityOpt") => [...new Set([...needs.flatMap((n) => n[k]), ...(own(k) as string[])])];
  if (joined("capAdd").length) c.capAdd = joined("capAdd");
  if (joined("securityOpt").length) c.securityOpt = joined("securityOpt");
  const entrypoints = needs.flatMap((n) => (n.entrypoint ? [n.entrypoint] : []));
  if (entrypoints.length) c.entrypoints = entrypoints;
  const mounts = [...needs.flatMap((n) => n.mounts), ...own("mounts")];
  if (mounts.length) c.mounts = mounts;
  return { ...c, containerEnv: c.containerEnv ?? {}, remoteEnv: c.remoteEnv ?? {}, portsAttributes: c.portsAttributes ?? {} };
}
