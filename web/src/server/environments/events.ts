import { publishEvent } from "@berth/core";
import type { Services } from "../services.js";

/** An environment event, seen by its team only; attributes never carry a config value. */
export async function environmentEvent(
  s: Services,
  type: "environment.create" | "environment.update" | "environment.destroy" | "environment.config",
  teamId: string,
  project: string,
  env: string,
  extra: Record<string, string> = {},
): Promise<void> {
  await publishEvent(s.redis, { type, id: `${project}/${env}`, teamId, attributes: { project, env, ...extra } }, (err) => s.log.warn({ err: err.message, project, env }, `could not publish ${type}`));
}
