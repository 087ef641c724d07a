import path from "node:path";
import { IMAGE_LABEL, builtImageName, type ComposeProject } from "@berth/core/compose";

/** The services `up` will start: those named and what they depend on, or all of them. */
function wanted(project: ComposeProject, services: string[]): string[] {
  if (!services.length) return Object.keys(project.services);
  const out = new Set<string>();
  const visit = (name: string) => {
    if (out.has(name) || !project.services[name]) return;
    out.add(name);
    for (const dep of Object.keys(project.services[name]!.dependsOn)) visit(dep);
  };
  services.forEach(visit);
  return [...out];
}

/** The image's id in the caller's team, or undefined when the team has no such image. */
async function imageId(ref: string): Promise<string | undefined> {
  const [{ connectImages }, { toCliError }] = await Promise.all([import("../image-client.js"), import("../errors.js")]);
  const s = await connectImages();
  try {
    const [found] = await s.trpc.image.inspect.query({ refs: [ref] });
    return (found as { Id?: string } | undefined)?.Id;
  } catch (err) {
    const e = toCliError(err, s.url);
    if (e.code !== "NOT_FOUND") throw e;
    return undefined;
  }
}

/**
 * Before `stack up`: each wanted service with `build:` gets its image in the caller's team, built
 * through `berth build`'s path and tagged `<stack>-<service>` (or its `image:`), as Compose does.
 * An image already there is reused unless `rebuild` (`up --build`). The image's id goes into the
 * service's labels, so a rebuilt image recreates that service's containers and no others.
 */
export async function prepareBuilds(project: ComposeProject, services: string[], rebuild: boolean): Promise<void> {
  for (const name of wanted(project, services)) {
    const svc = project.services[name]!;
    if (!svc.build) continue;
    const ref = svc.image ?? builtImageName(project.name, name);
    let id = rebuild ? undefined : await imageId(ref);
    if (!id) {
      process.stderr.write(` Service ${name}  Building\n`);
      const { buildImage } = await import("./build.js");
      id = await buildImage({
        context: svc.build.context,
        tags: [ref],
        // Compose reads dockerfile relative to the context; an absolute path stays as it is.
        file: path.resolve(svc.build.context, svc.build.dockerfile),
        target: svc.build.target,
        buildArgs: Object.entries(svc.build.args).map(([k, v]) => `${k}=${v}`),
        noCache: false,
        quiet: false,
        network: svc.build.network,
        out: process.stderr,
      });
      process.stderr.write(` Service ${name}  Built\n`);
    }
    svc.labels = { ...svc.labels, [IMAGE_LABEL]: id };
  }
}
