import { createHash } from "node:crypto";
import type { ComposeService } from "./model.js";

/** Compose's own labels, so tools that know Compose read a Berth stack's containers. */
export const LABEL = {
  project: "com.docker.compose.project",
  service: "com.docker.compose.service",
  number: "com.docker.compose.container-number",
  hash: "com.docker.compose.config-hash",
  oneoff: "com.docker.compose.oneoff",
  workingDir: "com.docker.compose.project.working_dir",
  network: "com.docker.compose.network",
  volume: "com.docker.compose.volume",
} as const;

/** JSON with sorted keys: the same service always hashes the same. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/**
 * What decides whether a service's containers are recreated: its configuration without the
 * fields that change how many run (replicas) or whether it is picked (profiles), as Compose.
 */
export function configHash(service: ComposeService): string {
  const { replicas: _r, profiles: _p, ...rest } = service;
  return createHash("sha256").update(canonical(rest)).digest("hex");
}

/** `<stack>-<service>-<n>`, Compose v2's container name. */
export const containerName = (stack: string, service: string, n: number) => `${stack}-${service}-${n}`;
/** `<stack>_<name>`, Compose's name for a stack's network or volume (unless the file names it). */
export const scopedName = (stack: string, name: string, explicit?: string) => explicit ?? `${stack}_${name}`;
