import { config } from "./config.js";
import { Unavailable, type BerthError } from "./errors.js";

/** Walks an error and its causes (Prisma wraps the driver's error in `meta.driverAdapterError.cause`). */
function* chain(e: unknown): Generator<{ code?: unknown; message?: unknown; kind?: unknown }> {
  const seen = new Set<unknown>();
  let cur: unknown = e;
  while (cur && typeof cur === "object" && !seen.has(cur)) {
    seen.add(cur);
    yield cur as { code?: unknown; message?: unknown };
    const o = cur as { cause?: unknown; meta?: { driverAdapterError?: unknown } };
    cur = o.meta?.driverAdapterError ?? o.cause;
  }
}

function home(): string {
  try {
    return config().home;
  } catch {
    return process.env.BERTH_HOME ?? "/var/lib/berth";
  }
}

/**
 * A database or disk condition said the way a user can act on it, instead of "internal error":
 * a locked SQLite database (another process holds its write lock past the busy timeout; Prisma
 * reports it as P1008 "Operation has timed out"), and a full disk. Undefined for anything else.
 */
export function storageErrorOf(e: unknown): BerthError | undefined {
  for (const c of chain(e)) {
    const code = typeof c.code === "string" ? c.code : "";
    const message = typeof c.message === "string" ? c.message : "";
    if (code === "SQLITE_FULL" || code === "ENOSPC" || /database or disk is full|no space left on device/i.test(message)) {
      return new Unavailable(`no space left on BERTH_HOME (${home()}): free some space (berth system prune, or remove unused images and volumes) and try again`, { cause: e });
    }
    if (code === "SQLITE_BUSY" || code === "P1008" || c.kind === "SocketTimeout" || /database is locked|SQLITE_BUSY/.test(message)) {
      return new Unavailable("database busy: another process has held the Berth database's write lock for longer than the busy timeout; try again", { cause: e });
    }
  }
  return undefined;
}
