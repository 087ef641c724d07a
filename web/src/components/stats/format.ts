/** Binary units, as docker stats shows memory (MiB, GiB). */
export function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const shown = u === 0 ? (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 1 : 0)) : v.toFixed(v < 10 ? 2 : 1);
  return `${shown} ${units[u]}`;
}

export const rate = (n: number) => `${bytes(n)}/s`;
export const percent = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)}%`;
