import { InvalidArgument } from "../errors.js";
export { parseDuration } from "../duration.js";

const BYTE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4 };

/** A Compose byte size ("512m", "1gb", 1048576); bytes. */
export function parseSize(text: string | number, where: string): number {
  if (typeof text === "number") return Math.floor(text);
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = m ? BYTE_UNITS[(m[2] ?? "").toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new InvalidArgument(`${where}: "${text}" is not a size: write e.g. 512m or 1g`);
  return Math.floor(Number(m[1]) * unit);
}
