/**
 * `ps --filter`: docker's keys (status, name, id, label, ancestor, exited, before, since, health). The
 * same key given twice matches either value; different keys must all match.
 */
import type { ContainerSummary } from "./api.js";

export type Filters = Map<string, string[]>;

const KEYS = new Set(["status", "name", "id", "label", "ancestor", "exited", "before", "since", "health"]);
const HEALTH = new Set(["starting", "healthy", "unhealthy", "none"]);
const STATUSES = new Set(["created", "restarting", "running", "removing", "paused", "exited", "dead"]);

/** "key=value" flags → filters; a bad one throws with docker's wording. */
export function parseFilters(flags: string[]): Filters {
  const f: Filters = new Map();
  for (const flag of flags) {
    const eq = flag.indexOf("=");
    if (eq <= 0) throw new Error(`bad format of filter (expected name=value): ${flag}`);
    const key = flag.slice(0, eq).trim().toLowerCase();
    const v = flag.slice(eq + 1);
    if (!KEYS.has(key)) throw new Error(`invalid filter '${key}': use one of ${[...KEYS].join(", ")}`);
    if (key === "status" && !STATUSES.has(v)) throw new Error(`invalid filter 'status=${v}': use one of ${[...STATUSES].join(", ")}`);
    if (key === "health" && !HEALTH.has(v)) throw new Error(`invalid filter 'health=${v}': use one of ${[...HEALTH].join(", ")}`);
    if (key === "exited" && !/^-?\d+$/.test(v)) throw new Error(`invalid filter 'exited=${v}': an exit code is a whole number`);
    f.set(key, [...(f.get(key) ?? []), v]);
  }
  return f;
}

/** Docker's State word for ps: created, running, paused, restarting, exited. */
export function stateOf(c: ContainerSummary): string {
  return c.state === "running" && c.paused ? "paused" : c.state;
}

function matchName(name: string, pattern: string): boolean {
  try {
    return new RegExp(pattern).test(name);
  } catch {
    return name.includes(pattern);
  }
}

function matchAncestor(c: ContainerSummary, ref: string): boolean {
  const bare = ref.replace(/^sha256:/, "");
  if (/^[0-9a-f]{4,64}$/.test(bare) && c.imageId.replace(/^sha256:/, "").startsWith(bare)) return true;
  const withTag = (r: string) => (r.slice(r.lastIndexOf("/") + 1).includes(":") ? r : `${r}:latest`);
  return withTag(c.image) === withTag(ref);
}

/** Whether `c` passes every filter key; `all` is every container (before/since refer to them). */
export function matches(c: ContainerSummary, f: Filters, all: ContainerSummary[]): boolean {
  const any = (key: string, test: (v: string) => boolean) => !f.has(key) || f.get(key)!.some(test);
  const created = (ref: string) => {
    const other = all.find((o) => o.name === ref || o.id.startsWith(ref));
    if (!other) throw new Error(`No such container: ${ref}`);
    return Date.parse(other.createdAt);
  };
  return (
    any("status", (v) => stateOf(c) === v) &&
    any("health", (v) => (c.health ?? "none") === v) &&
    any("name", (v) => matchName(c.name, v.replace(/^\//, ""))) &&
    any("id", (v) => c.id.startsWith(v)) &&
    any("label", (v) => {
      const eq = v.indexOf("=");
      return eq < 0 ? v in c.labels : c.labels[v.slice(0, eq)] === v.slice(eq + 1);
    }) &&
    any("ancestor", (v) => matchAncestor(c, v)) &&
    any("exited", (v) => c.state === "exited" && c.exitCode === Number(v)) &&
    any("before", (v) => Date.parse(c.createdAt) < created(v)) &&
    any("since", (v) => Date.parse(c.createdAt) > created(v))
  );
}
