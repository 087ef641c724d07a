import { randomBytes, timingSafeEqual } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { agentKeyPath } from "@berth/core";

/**
 * The secret workers present on `/agent`: made once at web start-up in $BERTH_HOME/agent.key
 * (0600, write-then-rename). Single host for now (web and worker share BERTH_HOME); scale-out
 * will need per-host tokens stored (hashed) in the DB and handed to each worker at enrolment.
 */
export function ensureAgentKey(home: string): string {
  const file = agentKeyPath(home);
  try {
    const k = fs.readFileSync(file, "utf8").trim();
    if (k.length >= 32) return k;
  } catch {
    /* first start */
  }
  const key = randomBytes(32).toString("hex");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, key + "\n", { mode: 0o600 });
  fs.renameSync(tmp, file);
  return key;
}

export function keyMatches(expected: string, given: unknown): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
