/**
 * Times in container logs and events: RFC 3339 with nanoseconds, always 9 fraction digits and
 * "Z", as Docker's `logs -t` prints them. Fixed width, so two of them compare as strings.
 */

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;
const wallAtStart = BigInt(Date.now()) * NS_PER_MS;
const hrAtStart = process.hrtime.bigint();
let last = 0n;

/** Nanoseconds since the epoch; strictly increasing within a process (two lines never share a time). */
export function nowNs(): bigint {
  let t = wallAtStart + (process.hrtime.bigint() - hrAtStart);
  if (t <= last) t = last + 1n;
  last = t;
  return t;
}

/** The last second formatted: a log gets many lines a second, and a Date per line is costly. */
let cachedSecond = -1n;
let cachedPrefix = "";

/** 2026-11-28T01:02:03.123456789Z */
export function formatNs(ns: bigint): string {
  const second = ns / NS_PER_S;
  if (second !== cachedSecond) {
    cachedPrefix = new Date(Number(second) * 1000).toISOString().slice(0, 19); // 2026-11-28T01:02:03
    cachedSecond = second;
  }
  const frac = (ns % NS_PER_S).toString().padStart(9, "0");
  return `${cachedPrefix}.${frac}Z`;
}

/** A fresh log/event time. */
export function logTime(): string {
  return formatNs(nowNs());
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Any RFC 3339 time (or a prefix such as 2026-11-28, 2026-11-28T01:02) → nanoseconds; undefined if not one. */
export function parseRfc3339Ns(text: string): bigint | undefined {
  const m = RFC3339.exec(text.trim());
  if (!m) return undefined;
  const [, date, clock = "00:00:00", frac = "", zone = "Z"] = m;
  const hms = clock.length === 5 ? `${clock}:00` : clock;
  const z = zone.toUpperCase() === "Z" ? "Z" : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const ms = Date.parse(`${date}T${hms}${z}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * NS_PER_MS + BigInt(frac.padEnd(9, "0") || "0");
}

/** Normalises a stored time (ours are already fixed width; older entries had 3 digits) for comparison. */
export function normalizeTime(t: string): string {
  if (t.length === 30 && t.endsWith("Z")) return t;
  const ns = parseRfc3339Ns(t);
  return ns === undefined ? t : formatNs(ns);
}

const UNIT_NS: Record<string, bigint> = { ns: 1n, us: 1_000n, "\u00b5s": 1_000n, ms: NS_PER_MS, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };

/** Go's duration syntax, as docker takes it: "10m", "1h30m", "1.5s", "500ms". Undefined if not one. */
export function parseDurationNs(text: string): bigint | undefined {
  const t = text.trim();
  if (!/^(\d+(\.\d+)?(ns|us|\u00b5s|ms|s|m|h))+$/.test(t)) return undefined;
  let total = 0n;
  for (const [, num, unit] of t.matchAll(/(\d+(?:\.\d+)?)(ns|us|\u00b5s|ms|s|m|h)/g)) {
    const [int = "0", frac = ""] = num!.split(".");
    const u = UNIT_NS[unit!]!;
    total += BigInt(int) * u + (frac ? (BigInt(frac.padEnd(9, "0").slice(0, 9)) * u) / 1_000_000_000n : 0n);
  }
  return total;
}

/**
 * `--since` / `--until` as docker reads them: an RFC 3339 time, Unix seconds (with an optional
 * fraction), or a duration before `now` ("10m", "1h30m"). Returns the fixed-width RFC 3339 time.
 * Throws with a message naming the flag and the accepted forms.
 */
export function parseTimeArg(flag: string, text: string, nowMs: number = Date.now()): string {
  const t = text.trim();
  const unix = /^(\d+)(?:\.(\d{1,9}))?$/.exec(t);
  if (unix) return formatNs(BigInt(unix[1]!) * 1_000_000_000n + BigInt((unix[2] ?? "").padEnd(9, "0") || "0"));
  const rel = parseDurationNs(t);
  if (rel !== undefined) return formatNs(BigInt(nowMs) * NS_PER_MS - rel);
  const abs = parseRfc3339Ns(t);
  if (abs !== undefined) return formatNs(abs);
  throw new Error(`invalid value "${text}" for ${flag}: use an RFC 3339 time (2026-11-28T01:02:03Z), Unix seconds (1795222923) or a duration such as 10m or 1h30m`);
}
