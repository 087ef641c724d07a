import type { Raw } from "./expand.js";

/**
 * Compose's merge of an override onto a base (`-f a.yaml -f b.yaml`, and `extends`), on
 * expanded services: mappings merge key by key, scalars and `command`/`entrypoint`/
 * `healthcheck.test` are replaced, ports and other lists are joined without duplicates,
 * volumes are merged by their target path.
 */
const REPLACED = new Set(["command", "entrypoint", "test"]);
const UNION = new Set(["ports", "expose", "cap_add", "cap_drop", "dns", "dns_search", "profiles", "tmpfs", "env_file", "external_links", "links", "extra_hosts"]);

export function mergeService(base: Raw, over: Raw): Raw {
  return mergeMap(base, over, "");
}

function mergeMap(base: Raw, over: Raw, parent: string): Raw {
  const out: Raw = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    if (value === undefined) continue;
    if (REPLACED.has(key) || prev === undefined || prev === null || value === null) out[key] = value;
    else if (key === "volumes" && parent === "" && Array.isArray(prev) && Array.isArray(value)) out[key] = byTarget(prev, value);
    else if (UNION.has(key) && Array.isArray(prev) && Array.isArray(value)) out[key] = union(prev, value);
    else if (isPlain(prev) && isPlain(value)) out[key] = mergeMap(prev, value, parent ? `${parent}.${key}` : key);
    else out[key] = value;
  }
  return out;
}

function byTarget(prev: Raw[], next: Raw[]): Raw[] {
  const m = new Map<string, Raw>();
  for (const v of [...prev, ...next]) m.set(String(v.target), v);
  return [...m.values()];
}

function union(prev: unknown[], next: unknown[]): unknown[] {
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const v of [...prev, ...next]) {
    const k = JSON.stringify(v);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(v);
  }
  return out;
}

const isPlain = (v: unknown): v is Raw => typeof v === "object" && v !== null && !Array.isArray(v);

/** Top-level networks/volumes: per name, the override's keys win. */
export function mergeNamed(base: Raw | undefined, over: Raw | undefined): Raw {
  const out: Raw = { ...(base ?? {}) };
  for (const [k, v] of Object.entries(over ?? {})) out[k] = isPlain(out[k]) && isPlain(v) ? { ...out[k], ...v } : (v ?? out[k] ?? {});
  return out;
}
