import fs from "node:fs";
import { expect } from "vitest";
import type { Instance } from "./harness.js";

/** `berth inspect REF`'s only element (fields are checked by the tests). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function inspectOne(b: Instance, ref: string): Promise<any> {
  const r = await b.berth(["inspect", ref]);
  expect(r.code, r.stderr).toBe(0);
  const arr = JSON.parse(r.stdout) as unknown[];
  expect(arr).toHaveLength(1);
  return arr[0];
}

export { until } from "./poll.js";

export async function runDetached(b: Instance, args: string[]): Promise<string> {
  const r = await b.berth(["run", "-d", ...args]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout.trim();
}

/** Host pids whose mount table names this container's directory (its processes). */
export function processesOf(home: string, id: string): number[] {
  const pids: number[] = [];
  for (const p of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readFileSync(`/proc/${p}/mountinfo`, "utf8").includes(`${home}/containers/${id}`)) pids.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return pids;
}
