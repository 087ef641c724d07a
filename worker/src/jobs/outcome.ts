import { BerthError, storageErrorOf, type JobOutcome, type Logger } from "@berth/core";

/**
 * Runs an image job's body and returns its outcome as a value: a BerthError's kind survives
 * the trip through Redis (a thrown error would reach web as a bare message). Anything else is
 * a bug or an environment failure: logged, and reported as "Internal".
 */
export async function outcome<T>(log: Logger, what: string, body: () => Promise<T>): Promise<JobOutcome<T>> {
  try {
    return { ok: true, value: await body() };
  } catch (e) {
    if (e instanceof BerthError) return { ok: false, kind: e.kind, message: e.message };
    // A locked or full database, a full disk: the user can act on it, so say it as such.
    const storage = storageErrorOf(e);
    if (storage) {
      log.warn({ err: e }, `${what} failed: ${storage.message}`);
      return { ok: false, kind: storage.kind, message: `${what} failed: ${storage.message}` };
    }
    log.error({ err: e }, `${what} failed`);
    return { ok: false, kind: "Internal", message: `${what} failed: ${(e as Error).message ?? String(e)}` };
  }
}
