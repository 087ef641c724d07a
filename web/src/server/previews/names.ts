import { createHash } from "node:crypto";
import { InvalidArgument } from "@berth/core";

/** A DNS label holds at most 63 characters; the preview's host label is `<slug>--<project>--<team>`. */
const LABEL_MAX = 63;
const SLUG_MIN = 8;

const NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** A project's name as it appears in host names and image tags: lower case, DNS-safe, no "--" (the separator). */
export function projectSlug(project: string): string {
  const p = project.toLowerCase();
  if (!NAME.test(p) || p.includes("--")) throw new InvalidArgument(`project "${project}" cannot name a preview: use lowercase letters, digits and single dashes`);
  return p;
}

/**
 * A branch's DNS-safe slug: lower case, every run of other characters one dash ("feature/Login
 * Page" → "feature-login-page"), short enough that `<slug>--<project>--<team>` fits one DNS label;
 * a long name keeps its start and gets a hash of the whole, so two long branches stay apart.
 */
export function branchSlug(branch: string, project: string, team: string): string {
  const base = branch.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "branch";
  const budget = Math.max(SLUG_MIN, LABEL_MAX - project.length - team.length - 4);
  if (base.length <= budget) return base;
  const hash = createHash("sha256").update(branch).digest("hex").slice(0, 6);
  return `${base.slice(0, budget - 7).replace(/-+$/, "")}-${hash}`;
}

/** The preview's stack: `<slug>--<project>`, so its services' links read `<svc>-<port>--<slug>--<project>--<team>`. */
export const previewStackName = (slug: string, project: string) => `${slug}--${project}`;

/** A built service's image in the team: `<team>/<project>/<service>:<sha>`, lower case. */
export function previewImageTag(team: string, project: string, service: string, sha: string): string {
  const part = (s: string) => s.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[._-]+|[._-]+$/g, "") || "x";
  if (!/^[0-9a-f]{4,64}$/i.test(sha)) throw new InvalidArgument(`"${sha}" is not a commit id`);
  return `${part(team)}/${part(project)}/${part(service)}:${sha.toLowerCase()}`;
}
