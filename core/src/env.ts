/**
 * A process environment ("KEY=VALUE" entries) with `extra`'s entries replacing same-named ones of
 * `base` where they stand, and new names appended: how `-e` overrides an image's ENV (run, exec
 * and inspect all show the same result).
 */
export function overrideEnv(base: readonly string[], extra: readonly string[] = []): string[] {
  const key = (e: string) => (e.includes("=") ? e.slice(0, e.indexOf("=")) : e);
  const out = [...base];
  for (const e of extra) {
    const i = out.findIndex((b) => key(b) === key(e));
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}
