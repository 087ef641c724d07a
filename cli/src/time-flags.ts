import { parseTimeArg } from "@berth/core";
import { CliError } from "./errors.js";

/** `--since`/`--until` of logs and events (RFC 3339, Unix seconds, or relative like 10m) as times; a bad one is a usage error. */
export function parseTimeFlags(a: { since?: string | undefined; until?: string | undefined }): { since?: string; until?: string } {
  const time = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    try {
      return parseTimeArg(flag, v);
    } catch (e) {
      throw new CliError("USAGE", (e as Error).message);
    }
  };
  const since = time("--since", a.since);
  const until = time("--until", a.until);
  return { ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) };
}
