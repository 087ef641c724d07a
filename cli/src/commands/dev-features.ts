import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { IMAGE_LABEL, builtImageName } from "@berth/core/compose";
import type { DevcontainerPlan, FeatureMetadata, FeatureUse } from "@berth/core/devcontainer";

/** The image's configured user in the caller's team ("" when it has none). */
async function imageUser(ref: string): Promise<string> {
  const { connectImages } = await import("../image-client.js");
  const s = await connectImages();
  const [found] = await s.trpc.image.inspect.query({ refs: [ref] });
  return (found as { Config?: { User?: string } } | undefined)?.Config?.User ?? "";
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

/**
 * Before `up`: the dev container's features installed in an image over its own (image, or the one
 * `build` made), built through `berth build`'s path and tagged `<stack>-<service>-features`; the
 * service then runs that image. Builder cache keeps an unchanged set of features cheap.
 */
export async function prepareFeatures(plan: DevcontainerPlan): Promise<void> {
  if (!plan.features.length) return;
  const [{ readFeatureMetadata, featureEnvFile, featuresDockerfile, lifecycleSteps, LIFECYCLE_HOOKS }, { buildImage }] = await Promise.all([import("@berth/core/devcontainer"), import("./build.js")]);
  const svc = plan.project.services[plan.service]!;
  // prepareBuilds tagged a built image as Compose does: its image: name, else <stack>-<service>.
  const base = svc.image ?? builtImageName(plan.project.name, plan.service);
  const user = await imageUser(base);
  const containerUser = plan.containerUser ?? (user || "root");
  const users = { containerUser, remoteUser: plan.remoteUser ?? containerUser };
  const ctx = fs.mkdtempSync(path.join(os.tmpdir(), "berth-features-"));
  try {
    const metas: { meta: FeatureMetadata }[] = [];
    for (const [i, f] of plan.features.entries()) {
      const dir = path.join(ctx, `f${i}`);
      process.stderr.write(` Feature ${f.id}  ${f.source.kind === "local" ? "Copying" : "Pulling"}\n`);
      await materialize(f, dir);
      const meta = readFeatureMetadata(dir, `feature ${f.id}`);
      fs.writeFileSync(path.join(dir, "devcontainer-features.env"), featureEnvFile(meta, f.options, users));
      metas.push({ meta });
    }
    fs.writeFileSync(path.join(ctx, "Dockerfile"), featuresDockerfile(base, metas, user));
    const tag = `${plan.project.name}-${plan.service}-features`;
    process.stderr.write(` Service ${plan.service}  Installing features\n`);
    const id = await buildImage({ context: ctx, tags: [tag], file: path.join(ctx, "Dockerfile"), target: undefined, buildArgs: [], noCache: false, quiet: false, network: undefined, out: process.stderr });
    // The features' own lifecycle commands run before the file's, in the features' order.
    for (const h of LIFECYCLE_HOOKS) {
      const own = plan.features.map((f, i) => lifecycleSteps(`${h} of feature ${f.id}`, metas[i]!.meta.lifecycle[h], `feature ${f.id}`)).filter((g) => g.length);
      plan.lifecycle[h] = [...own, ...plan.lifecycle[h]];
    }
    svc.image = tag;
    delete svc.build;
    svc.labels = { ...svc.labels, [IMAGE_LABEL]: id };
  } finally {
    fs.rmSync(ctx, { recursive: true, force: true });
  }
}
