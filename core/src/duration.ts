import { InvalidArgument } from "./errors.js";
import { parseDurationNs } from "./log-time.js";

/** A Go duration as Docker and Compose write them ("1m30s", "500ms", "2h"), in milliseconds; `where` names the flag or line. */
export function parseDuration(text: string | number, where: string): number {
  if (text === 0 || text === "0") return 0;
  const ns = typeof text === "string" ? parseDurationNs(text) : undefined;
  if (ns === undefined) {
    const hint = typeof text === "number" || /^\d+$/.test(text.trim()) ? ` (a duration needs a unit: ${String(text).trim()}s)` : "";
    throw new InvalidArgument(`${where}: "${text}" is not a duration: write e.g. 30s, 1m30s or 500ms${hint}`);
  }
  return Math.round(Number(ns) / 1e6);
}
