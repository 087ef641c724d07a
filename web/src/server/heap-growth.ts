/**
 * How far web's heap may grow past what a full collection left before the next one starts:
 * double (HEAP_GROWING_PERCENT), as Go's collector does by default (GOGC=100).
 *
 * Why: V8 counts external memory allocated since the last full collection against the old
 * generation's limit. Upload bodies are exactly that: Node's HTTP parser hands each socket
 * chunk over as a new Buffer, and a push keeps several MB of them in flight until the next
 * scavenge frees them (young-gc.ts). For a heap that hardly grows V8 picks a small factor, and
 * its memory reducer lowers the limit again after every idle spell: web's was 53 MB over 44 MB
 * live, room for a few MB of bodies. A push then marked web's whole heap every ~50 ms (24–34
 * full collections per 800 MB of PATCHes, about a third of web's CPU on marking threads, perf),
 * each one taking a core from the client on a small host. With the factor at 2: 3–6.
 *
 * The cost is memory: garbage may reach the size of the live heap before it is collected.
 */
import v8 from "node:v8";

export const HEAP_GROWING_PERCENT = 100;

/** V8 ignores a flag it does not know without a word: heap-growth.test.ts checks this one is honoured. */
export const HEAP_GROWTH_FLAG = `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;

/** Sets the factor for this process; V8 reads it at every full collection, so setting it after start-up takes effect at the next one. */
export function setHeapGrowth(): void {
  v8.setFlagsFromString(HEAP_GROWTH_FLAG);
}
