const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `512m`, `2g`, `1.5G`, `1048576` → bytes (Docker's units, powers of 1024); NaN when it is not one. */
export function parseBytes(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?\s*$/i.exec(text);
  if (!m) return NaN;
  return Math.round(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
}

/** Bytes as a user types them back: 2g, 512m, 64k, else a plain number. */
export function bytesAsUnit(bytes: number): string {
  for (const [u, n] of [["t", 1024 ** 4], ["g", 1024 ** 3], ["m", 1024 ** 2], ["k", 1024]] as const) if (bytes > 0 && bytes % n === 0) return `${bytes / n}${u}`;
  return String(bytes);
}
