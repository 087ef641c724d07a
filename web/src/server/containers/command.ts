import type { Db } from "@berth/core/db";
import type { Services } from "../services.js";
import { dockerContainerInspect, imageRunConfig } from "./inspect.js";

/**
 * Each container's command as Docker's `ps` shows it (Path + Args of inspect: the entrypoint and
 * the given command, or the image's CMD), reading each image's config once.
 */
export async function containerCommands(s: Services, rows: Db.Container[]): Promise<Map<string, string[]>> {
  const configs = new Map<string, ReturnType<typeof imageRunConfig>>();
  for (const c of rows) if (!configs.has(c.imageId)) configs.set(c.imageId, imageRunConfig(s, c));
  const out = new Map<string, string[]>();
  for (const c of rows) {
    const i = dockerContainerInspect(c, await configs.get(c.imageId)) as { Path: string; Args: string[] };
    out.set(c.id, i.Path ? [i.Path, ...i.Args] : []);
  }
  return out;
}
