import type { RegistryProgress } from "@berth/core";

export type ProgressFn = (p: RegistryProgress) => void;

/** Docker's short form of a digest in progress lines: 12 hex characters. */
export const shortDigest = (d: string) => d.replace(/^sha256:/, "").slice(0, 12);

/** Runs `fn` over `items`, at most `limit` at a time; rejects with the first failure after all settle. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failure: { e: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (e) {
        failure ??= { e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.e;
  return out;
}
