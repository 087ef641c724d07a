import { expect } from "vitest";
import type { RunResult } from "./harness.js";

/** Expects the CLI run to have succeeded; the failure message names `what` and shows its output. */
export function ok(r: RunResult, what: string): RunResult {
  expect(r.code, `${what}:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

/** Expects the CLI run to have been refused (a non-zero exit). */
export function refused(r: RunResult, what: string): RunResult {
  expect(r.code, `${what} should be refused:\n${r.stdout}\n${r.stderr}`).not.toBe(0);
  return r;
}
