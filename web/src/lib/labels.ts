/** `KEY=VALUE, KEY2=VALUE2` (a key alone is an empty value), as the dashboard's label fields take them. */
export function parseLabels(text: string): { labels: Record<string, string> } | { error: string } {
  const labels: Record<string, string> = {};
  for (const part of text.split(/[,\n]/)) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf("=");
    const key = (eq < 0 ? p : p.slice(0, eq)).trim();
    if (!key) return { error: `"${p}": a label needs a key before "="` };
    labels[key] = eq < 0 ? "" : p.slice(eq + 1).trim();
  }
  return { labels };
}
