/**
 * Upload bodies arrive as one new Buffer per socket chunk (Node's HTTP parser copies each), all
 * dead a moment later. They are young, but V8 (Node 20) frees a young buffer's memory only at a
 * scavenge, and scavenges come from JS allocation, which a body stream hardly does: the dead
 * buffers pile up until the heap's global limit starts a full mark of web's whole heap (the
 * dashboard's, ~45 MB), about every 25 MB of body: over a quarter of web's CPU during a push
 * (perf). A scavenge (~1 ms) every YOUNG_GC_EVERY bytes frees them first: 34 full collections
 * over four 200 MB pushes became 7, all at start-up. The bodies still in flight count against the
 * full collection's trigger too: web's heap growth is set for that (../heap-growth.ts).
 */
import v8 from "node:v8";
import vm from "node:vm";

export const YOUNG_GC_EVERY = 8 << 20;

type Gc = (o: { type: "minor"; execution: "sync" }) => void;

let gc: Gc | null | undefined;
let since = 0;

function collector(): Gc | null {
  if (gc !== undefined) return gc;
  try {
    // Exposed in a new context only: nothing else in web sees a global gc().
    v8.setFlagsFromString("--expose-gc");
    gc = vm.runInNewContext("gc") as Gc;
  } catch {
    gc = null; // an engine without it: V8's own schedule, as before
  }
  return gc;
}

/** Counts `bytes` of body received; past YOUNG_GC_EVERY since the last one, runs a scavenge. */
export function bodyReceived(bytes: number): void {
  since += bytes;
  if (since < YOUNG_GC_EVERY) return;
  since = 0;
  collector()?.({ type: "minor", execution: "sync" });
}
