import { InvalidArgument } from "../errors.js";

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, "\u00b5s": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration as Compose writes them ("1m30s", "500ms", "2h"); milliseconds. */
export function parseDuration(text: string | number, where: string): number {
  if (typeof text === "number") {
    if (text === 0) return 0;
    throw new InvalidArgument(`${where}: the duration ${text} has no unit: write it as ${text}s (or ms, m, h)`);
  }
  const s = text.trim();
  if (s === "0") return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|\u00b5s|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] ?? ""] ?? 0);
    pos = re.lastIndex;
  }
  if (pos !== s.length || s.length === 0) throw new InvalidArgument(`${where}: "${text}" is not a duration: write e.g. 30s, 1m30s or 500ms`);
  return Math.round(total);
}

const BYTE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4 };

/** A Compose byte size ("512m", "1gb", 1048576); bytes. */
export function parseSize(text: string | number, where: string): number {
  if (typeof text === "number") return Math.floor(text);
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = m ? BYTE_UNITS[(m[2] ?? "").toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new InvalidArgument(`${where}: "${text}" is not a size: write e.g. 512m or 1g`);
  return Math.floor(Number(m[1]) * unit);
}
