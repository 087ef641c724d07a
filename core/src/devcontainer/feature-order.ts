import { InvalidArgument } from "../errors.js";

/**
 * The order features install in (containers.dev features spec, "Installation order"): the
 * features the user lists in overrideFeatureInstallOrder first, in that order; a feature after
 * those it `dependsOn` (always) and those named in its `installsAfter` (a hint, when they are in
 * the set, that the user's list overrides); otherwise by reference, as the reference CLI orders
 * features that wait for nothing.
 */
export interface OrderedFeature {
  /** The reference as written in devcontainer.json ("./local", "ghcr.io/a/b/c:1"). */
  ref: string;
  /** The id of its devcontainer-feature.json. */
  id: string;
  installsAfter: string[];
  /** References (as written in dependsOn) this one needs installed first. */
  dependsOn: string[];
}

/** A reference without its version: "ghcr.io/a/b/c:1" and "ghcr.io/a/b/c@sha256:…" are "ghcr.io/a/b/c". */
export function unversioned(ref: string): string {
  if (ref.startsWith("./") || ref.startsWith("../")) return ref.replace(/\/+$/, "");
  const at = ref.indexOf("@");
  if (at >= 0) return ref.slice(0, at);
  const slash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  return colon > slash ? ref.slice(0, colon) : ref;
}

/** Whether `name` (from installsAfter, dependsOn or the override list) names feature `f`: by reference, version aside ("./local" for a local one, as the reference CLI reads it). */
export function names(name: string, f: Pick<OrderedFeature, "ref">): boolean {
  return unversioned(name) === unversioned(f.ref);
}

/** Indices of `features` in install order; `file` names devcontainer.json in errors. */
export function installOrder(features: OrderedFeature[], override: string[], file: string): number[] {
  const rank = features.map((f) => {
    const i = override.findIndex((o) => names(o, f));
    return i < 0 ? Number.POSITIVE_INFINITY : i;
  });
  for (const o of override) {
    if (!features.some((f) => names(o, f))) throw new InvalidArgument(`${file}: overrideFeatureInstallOrder names "${o}", which is not in "features": list only features it installs (without their version)`);
  }
  const after = features.map(() => new Set<number>());
  features.forEach((f, i) => {
    for (const d of f.dependsOn) {
      const j = features.findIndex((g) => names(d, g));
      if (j < 0) throw new InvalidArgument(`feature ${f.ref} depends on ${d}, which is not among the features to install`);
      if (j !== i) after[i]!.add(j);
    }
    // The user's order wins over an author's hint.
    if (rank[i] !== Number.POSITIVE_INFINITY) return;
    for (const a of f.installsAfter) {
      features.forEach((g, j) => {
        if (j !== i && names(a, g)) after[i]!.add(j);
      });
    }
  });
  // What a listed feature waits for goes as early as the listed feature would (not after unlisted ones).
  const early = [...rank];
  for (let k = 0; k < features.length; k++) {
    features.forEach((_, i) => {
      for (const j of after[i]!) early[j] = Math.min(early[j]!, early[i]!);
    });
  }
  // Rounds as the reference CLI installs them: what waits for nothing, then what waited for those, …
  const round = features.map(() => 0);
  for (let r = 0; r < features.length; r++) {
    features.forEach((_, i) => {
      for (const j of after[i]!) round[i] = Math.max(round[i]!, Math.min(round[j]! + 1, features.length));
    });
  }
  const before = (i: number, j: number) => early[i]! - early[j]! || round[i]! - round[j]! || (features[i]!.ref < features[j]!.ref ? -1 : 1);
  const order: number[] = [];
  const done = new Set<number>();
  while (order.length < features.length) {
    let next = -1;
    for (let i = 0; i < features.length; i++) {
      if (done.has(i) || [...after[i]!].some((j) => !done.has(j))) continue;
      if (next < 0 || before(i, next) < 0) next = i;
    }
    if (next < 0) {
      const left = features.filter((_, i) => !done.has(i)).map((f) => f.ref);
      throw new InvalidArgument(`features ${left.join(", ")} wait for each other (dependsOn / installsAfter form a cycle): remove one of the links, or list them in overrideFeatureInstallOrder`);
    }
    done.add(next);
    order.push(next);
  }
  return order;
}
