/**
 * How far web's heap may grow past what a full collection left before the next one starts:
 * double (HEAP_GROWING_PERCENT), as Go's collector does by default (GOGC=100).
 *
 * Why: V8 counts external memory allocated since the last full collection against the old
 * generation's limit. Upload bodies are exactly that: Node's HTTP parser hands each socket
 * chunk over as a new Buffer, and a push keeps several MB of them in flight until the next
 * scavenge frees them (young-gc.ts). V8's own growing factor for a heap that hardly grows is
 * about 1.1, and its memory reducer brings the limit down to that after every idle spell, so
 * web's ~45 MB heap had room for only a few MB of in-flight bodies: a full mark of the whole
 * heap every ~50 ms of a push (24–34 per 800 MB of PATCHes, a third of web's CPU on its
 * marking threads; perf). With the factor at 2, 3–6.
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
