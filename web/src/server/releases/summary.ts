/** How a release is shown (API, CLI, dashboard): never a config value, only its version. */
import { ReleaseHealth, ReleaseImages, type ReleaseState } from "@berth/core";
import type { Db } from "@berth/core/db";

export interface ReleaseSummary {
  number: number;
  state: ReleaseState;
  /** `{ service: "sha256:<64 hex>" }` */
  images: Record<string, string>;
  sha: string | null;
  reason: string;
  /** The release it came from, as "<environment> v<number>" (promotion, rollback). */
  source: string | null;
  createdByName: string;
  createdAt: string;
  deployedAt: string | null;
  error: string | null;
  configVersion: number;
  /** Where its images were copied, by service ("host/repo/svc@sha256:…"): an environment that runs elsewhere. */
  copiedTo: Record<string, string> | null;
}

export function parseImages(text: string): ReleaseImages {
  return ReleaseImages.parse(JSON.parse(text));
}

export function parseHealth(text: string): ReleaseHealth {
  return ReleaseHealth.parse(JSON.parse(text));
}

export function releaseSummary(r: Db.Release): ReleaseSummary {
  return {
    number: r.number,
    state: r.state as ReleaseState,
    images: parseImages(r.images),
    sha: r.sha,
    reason: r.reason,
    source: r.source,
    createdByName: r.createdByName,
    createdAt: r.createdAt.toISOString(),
    deployedAt: r.deployedAt?.toISOString() ?? null,
    error: r.error,
    configVersion: r.configVersion,
    copiedTo: r.copiedTo ? (JSON.parse(r.copiedTo) as Record<string, string>) : null,
  };
}
