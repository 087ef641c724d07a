import { InvalidArgument } from "../errors.js";

/** A lifecycle command as the spec writes it: a shell string, an argv, or named commands run in parallel. */
export type LifecycleCommand = string | string[] | Record<string, string | string[]>;

/** The lifecycle commands in the order the spec runs them. */
export const LIFECYCLE_HOOKS = ["onCreateCommand", "updateContentCommand", "postCreateCommand", "postStartCommand", "postAttachCommand"] as const;
export type LifecycleHook = (typeof LIFECYCLE_HOOKS)[number];

/** One process to start for a hook: a string goes through /bin/sh -c, an array is the argv itself. */
export interface LifecycleStep {
  /** The hook, and for the object form the command's name in it ("postCreateCommand server"). */
  name: string;
  argv: string[];
}

/**
 * A hook's value as the processes to run: one for a string or an array, one per entry for the
 * object form (they run in parallel). An empty string or array runs nothing.
 */
export function lifecycleSteps(hook: string, value: unknown, file: string): LifecycleStep[] {
  const one = (name: string, v: unknown): LifecycleStep[] => {
    if (typeof v === "string") return v.trim() ? [{ name, argv: ["/bin/sh", "-c", v] }] : [];
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v.length ? [{ name, argv: v as string[] }] : [];
    throw new InvalidArgument(`${file}: ${name} is a string (run by /bin/sh -c), an array of strings (the argv) or, at its top, an object of named commands`);
  };
  if (value === undefined || value === null) return [];
  if (typeof value === "object" && !Array.isArray(value)) return Object.entries(value).flatMap(([k, v]) => one(`${hook} ${k}`, v));
  return one(hook, value);
}
