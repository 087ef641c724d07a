import { z } from "zod";
import { LogConfigShape } from "./log-options.js";
import { LifecycleOptions } from "./lifecycle-options.js";
import { NetworkOptionsShape } from "./network.js";
import { MountFields } from "./mounts.js";
import { HealthOptions } from "./health.js";

/** Docker's capability names, without the CAP_ prefix (`--cap-add NET_ADMIN`). */
const Capability = z
  .string()
  .transform((c) => c.toUpperCase().replace(/^CAP_/, ""))
  .pipe(z.string().regex(/^(ALL|[A-Z_]+)$/, "a capability name such as NET_ADMIN, or ALL"));

/**
 * What `berth run` asks of a container beyond image and command, as Docker's flags say it.
 * Validated at the edge (tRPC), stored as JSON on the container row, read by the worker.
 */
export const ContainerOptions = z
  .object({
    /** bytes; `--memory 64m` */
    memory: z.number().int().min(6 * 1024 * 1024, "the minimum memory limit is 6MB").optional(),
    /** bytes of memory + swap; -1 for unlimited swap */
    memorySwap: z.number().int().min(-1).optional(),
    /** `--cpus 1.5` */
    cpus: z.number().positive().max(1024).optional(),
    /** `--pids-limit 100` */
    pidsLimit: z.number().int().positive().optional(),
    capAdd: z.array(Capability).default([]),
    capDrop: z.array(Capability).default([]),
    readOnly: z.boolean().default(false),
    /** `-u uid[:gid]` (numeric, or a name found in the image's /etc/passwd) */
    user: z.string().regex(/^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$/, "user must be NAME|UID[:GROUP|GID]").optional(),
    /** `--init`: a minimal init as PID 1 that reaps zombies and forwards signals */
    init: z.boolean().default(false),
    /** `-t`: the container's stdio is a pty (its output goes to the log as stdout lines) */
    tty: z.boolean().default(false),
    /** `-i`: stdin stays open; with tty or interactive the worker waits (up to 10 s) for an attach before it starts the container */
    interactive: z.boolean().default(false),
    ...LogConfigShape,
    /** `--health-cmd` and friends: override the image's HEALTHCHECK field by field. */
    healthcheck: HealthOptions.optional(),
    /** `--no-healthcheck`: run no check, whatever the image says. */
    noHealthcheck: z.boolean().optional(),
    ...LifecycleOptions.shape,
    ...NetworkOptionsShape,
    ...MountFields,
  })
  .strict();
export type ContainerOptions = z.infer<typeof ContainerOptions>;

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Docker's size syntax: "64m", "1g", "512k", "1048576" (bytes). */
export function parseBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i.exec(text.trim());
  if (!m) throw new Error(`invalid size "${text}": use a number with an optional unit b, k, m or g (e.g. 64m)`);
  return Math.round(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
}
