import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { IMAGE_LABEL, builtImageName } from "@berth/core/compose";
import type { DevcontainerPlan, FeatureMetadata, FeatureUse } from "@berth/core/devcontainer";

/** The image's configured user, entrypoint and command in the caller's team. */
async function imageConfig(ref: string): Promise<{ User?: string; Entrypoint?: string[] | null; Cmd?: string[] | null }> {
  const { connectImages } = await import("../image-client.js");
  const s = await connectImages();
  const [found] = await s.trpc.image.inspect.query({ refs: [ref] });
  return (found as { Config?: { User?: string; Entrypoint?: string[] | null; Cmd?: string[] | null } } | undefined)?.Config ?? {};
}

/** A feature's folder in the build context: a local one copied, a registry one pulled through Berth. */
async function materialize(f: FeatureUse, dest: string): Promise<void> {
  if (f.source.kind === "local") {
    fs.cpSync(f.source.dir, dest, { recursive: true, dereference: true });
    return;
  }
  const { pullFeature } = await import("./dev-feature-pull.js");
  await pullFeature(f.source.ref, f.id, dest);
}

interface Fetched {
  use: FeatureUse;
  /** Its folder in the build context (f0, f1, …). */
  folder: string;
  meta: FeatureMetadata;
}

/**
 * Every feature of the plan in the build context, and what they depend on that the file does not
 * list (pulled the same way, with the options the dependant gives it), in install order.
 */
async function fetchAll(plan: DevcontainerPlan, ctx: string): Promise<Fetched[]> {
  const [{ readFeatureMetadata, featureUses, installOrder, unversioned }, { CliError }] = await Promise.all([import("@berth/core/devcontainer"), import("../errors.js")]);
  const fetched: Fetched[] = [];
  const queue = [...plan.features];
  const listed = (ref: string) => [...fetched.map((f) => f.use), ...queue].some((u) => unversioned(u.id) === unversioned(ref));
  for (let f = queue.shift(); f; f = queue.shift()) {
    const folder = `f${fetched.length}`;
    process.stderr.write(` Feature ${f.id}  ${f.source.kind === "local" ? "Copying" : "Pulling"}\n`);
    await materialize(f, path.join(ctx, folder));
    const meta = readFeatureMetadata(path.join(ctx, folder), `feature ${f.id}`);
    fetched.push({ use: f, folder, meta });
    for (const [ref, options] of Object.entries(meta.dependsOn)) {
      if (listed(ref)) continue;
      if (ref.startsWith(".")) throw new CliError("INVALID_ARGUMENT", `feature ${f.id} depends on "${ref}": a dependency is a registry reference (registry/namespace/name:tag), not a local folder; list the local feature in devcontainer.json instead`);
      queue.push(...featureUses({ [ref]: options }, ctx, `feature ${f.id}: dependsOn`));
    }
  }
  const order = installOrder(
    fetched.map((f) => ({ ref: f.use.id, id: f.meta.id, installsAfter: f.meta.installsAfter, dependsOn: Object.keys(f.meta.dependsOn) })),
    plan.featureOrder,
    plan.file,
  );
  return order.map((i) => fetched[i]!);
}

/**
 * What the features ask of the container, merged as the spec says (init if any asks, capAdd
 * joined; entrypoints run in install order before the service's own entrypoint and command).
 * Privileged mode is refused: Berth never gives a container the host.
 */
async function applyContainerNeeds(plan: DevcontainerPlan, features: Fetched[], image: { Entrypoint?: string[] | null; Cmd?: string[] | null }): Promise<void> {
  const [{ devcontainerId, devcontainerMount, addMounts }, { CliError }] = await Promise.all([import("@berth/core/devcontainer"), import("../errors.js")]);
  const svc = plan.project.services[plan.service]!;
  const id = devcontainerId(plan.folder);
  const withId = (t: string) => t.replaceAll("${devcontainerId}", id);
  const entrypoints: string[] = [];
  for (const { use, meta } of features) {
    const c = meta.container;
    if (c.privileged) throw new CliError("INVALID_ARGUMENT", `feature ${use.id} asks for privileged mode, which Berth does not give a container (it would reach the host's devices and kernel): use a feature that works without it, or ask the site admin for a host of your own`);
    if (c.init) svc.init = true;
    svc.capAdd = [...new Set([...svc.capAdd, ...c.capAdd])];
    if (c.securityOpt.length) process.stderr.write(`warning: feature ${use.id}: securityOpt ${c.securityOpt.join(", ")} is not supported by Berth and is ignored (the default seccomp profile stays)\n`);
    if (c.entrypoint) entrypoints.push(withId(c.entrypoint));
    const mounts = c.mounts.map((m, i) => devcontainerMount(typeof m === "string" ? withId(m) : JSON.parse(withId(JSON.stringify(m))), `feature ${use.id}: mounts[${i}]`));
    addMounts(plan.project, plan.service, mounts, plan.folder);
  }
  if (!entrypoints.length) return;
  // Each feature's entrypoint runs (and returns, leaving what it started), then the container's own.
  const own = svc.entrypoint ?? image.Entrypoint ?? [];
  if (!svc.entrypoint && !svc.command) svc.command = image.Cmd ?? [];
  svc.entrypoint = ["/bin/sh", "-c", `${entrypoints.join("\n")}\nexec "$@"`, "-", ...own];
}

/**
 * Before `up`: the dev container's features installed in an image over its own (image, or the one
 * `build` made), built through `berth build`'s path and tagged `<stack>-<service>-features`; the
 * service then runs that image. Builder cache keeps an unchanged set of features cheap. Features
 * install in the spec's order (overrideFeatureInstallOrder, dependsOn, installsAfter).
 */
export async function prepareFeatures(plan: DevcontainerPlan): Promise<void> {
  if (!plan.features.length) return;
  const [{ featureEnvFile, featuresDockerfile, lifecycleSteps, LIFECYCLE_HOOKS }, { buildImage }] = await Promise.all([import("@berth/core/devcontainer"), import("./build.js")]);
  const svc = plan.project.services[plan.service]!;
  // prepareBuilds tagged a built image as Compose does: its image: name, else <stack>-<service>.
  const base = svc.image ?? builtImageName(plan.project.name, plan.service);
  const image = await imageConfig(base);
  const user = image.User ?? "";
  const containerUser = plan.containerUser ?? (user || "root");
  const users = { containerUser, remoteUser: plan.remoteUser ?? containerUser };
  const ctx = fs.mkdtempSync(path.join(os.tmpdir(), "berth-features-"));
  try {
    const features = await fetchAll(plan, ctx);
    for (const f of features) fs.writeFileSync(path.join(ctx, f.folder, "devcontainer-features.env"), featureEnvFile(f.meta, f.use.options, users));
    await applyContainerNeeds(plan, features, image);
    fs.writeFileSync(path.join(ctx, "Dockerfile"), featuresDockerfile(base, features, user));
    const tag = `${plan.project.name}-${plan.service}-features`;
    process.stderr.write(` Service ${plan.service}  Installing features${features.length > 1 ? ` (${features.map((f) => f.use.id).join(", ")})` : ""}\n`);
    const id = await buildImage({ context: ctx, tags: [tag], file: path.join(ctx, "Dockerfile"), target: undefined, buildArgs: [], noCache: false, quiet: false, network: undefined, out: process.stderr });
    // The features' own lifecycle commands run before the file's, in install order.
    for (const h of LIFECYCLE_HOOKS) {
      const own = features.map((f) => lifecycleSteps(`${h} of feature ${f.use.id}`, f.meta.lifecycle[h], `feature ${f.use.id}`)).filter((g) => g.length);
      plan.lifecycle[h] = [...own, ...plan.lifecycle[h]];
    }
    svc.image = tag;
    delete svc.build;
    svc.labels = { ...svc.labels, [IMAGE_LABEL]: id };
  } finally {
    fs.rmSync(ctx, { recursive: true, force: true });
  }
}
