import { z } from "zod";

/**
 * `--log-driver` and `--log-opt` (Docker's json-file semantics): with max-size set, log.jsonl is
 * rotated to log.jsonl.1, .2, … and at most max-file files are kept (default 1: the file is
 * started afresh). Stored in the container's options; read by the worker's log sink.
 */
export const LOG_DRIVERS = ["json-file", "none"] as const;
export type LogDriver = (typeof LOG_DRIVERS)[number];

export const LogOpts = z
  .object({
    /** bytes (Docker's decimal units: 10m = 10,000,000) */
    maxSize: z.number().int().positive().optional(),
    maxFile: z.number().int().min(1, "max-file cannot be less than 1").max(1000).optional(),
  })
  .strict();
export type LogOpts = z.infer<typeof LogOpts>;

/** Merged into ContainerOptions. */
export const LogConfigShape = {
  logDriver: z.enum(LOG_DRIVERS).optional(),
  logOpts: LogOpts.optional(),
};

export interface LogConfig {
  driver: LogDriver;
  maxSize?: number;
  maxFile: number;
}

/** The log settings of a container's stored options (a JSON string or object); defaults for anything unreadable. */
export function logConfigOf(options: unknown): LogConfig {
  let o: unknown = options;
  if (typeof o === "string") {
    try {
      o = JSON.parse(o);
    } catch {
      o = {};
    }
  }
  const parsed = z.object(LogConfigShape).partial().safeParse(o ?? {});
  const d = parsed.success ? parsed.data : {};
  return { driver: d.logDriver ?? "json-file", ...(d.logOpts?.maxSize ? { maxSize: d.logOpts.maxSize } : {}), maxFile: d.logOpts?.maxFile ?? 1 };
}

const DECIMAL: Record<string, number> = { "": 1, b: 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };

/** Docker's human sizes for max-size: "10m", "1.5g", "500k", "1000" — decimal units, as docker. */
export function parseLogSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(text.trim());
  if (!m) throw new Error(`invalid max-size "${text}": use a positive number with an optional unit k, m or g (e.g. 10m)`);
  const n = Math.round(Number(m[1]) * DECIMAL[m[2]!.toLowerCase()]!);
  if (n <= 0) throw new Error("max-size must be a positive number");
  return n;
}

/**
 * `--log-driver D --log-opt k=v …` as typed → the options fields. Throws a message naming the bad
 * option and what is accepted.
 */
export function parseLogFlags(driver: string | undefined, opts: string[]): { logDriver?: LogDriver; logOpts?: LogOpts } {
  if (driver !== undefined && !(LOG_DRIVERS as readonly string[]).includes(driver)) {
    throw new Error(`unsupported log driver "${driver}": use json-file or none`);
  }
  const out: { logDriver?: LogDriver; logOpts?: LogOpts } = driver ? { logDriver: driver as LogDriver } : {};
  if (!opts.length) return out;
  if (driver === "none") throw new Error(`the none log driver takes no --log-opt (got ${opts[0]})`);
  const lo: LogOpts = {};
  for (const o of opts) {
    const eq = o.indexOf("=");
    if (eq <= 0) throw new Error(`invalid --log-opt "${o}": expected KEY=VALUE, e.g. max-size=10m`);
    const key = o.slice(0, eq);
    const value = o.slice(eq + 1);
    if (key === "max-size") lo.maxSize = parseLogSize(value);
    else if (key === "max-file") {
      if (!/^-?\d+$/.test(value.trim())) throw new Error(`invalid max-file "${value}": expected a whole number of files (1 or more)`);
      const n = Number(value);
      if (n < 1) throw new Error("max-file cannot be less than 1");
      lo.maxFile = n;
    } else throw new Error(`unknown log opt '${key}' for json-file log driver (supported: max-size, max-file)`);
  }
  out.logOpts = lo;
  return out;
}
