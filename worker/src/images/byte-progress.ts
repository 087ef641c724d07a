import { Transform } from "node:stream";

/** "12.3MB" as Docker prints sizes in progress lines (decimal units). */
export function humanBytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)}${units[i]}`;
}

/**
 * A pass-through counting bytes, calling `report(done)` at most every `everyMs` while data flows
 * (a big layer shows it moves; a small one passes without a line).
 */
export function byteProgress(report: (done: number) => void, everyMs = 1000): Transform {
  let done = 0;
  let last = Date.now();
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length;
      const now = Date.now();
      if (now - last >= everyMs) {
        last = now;
        report(done);
      }
      cb(null, chunk);
    },
  });
}
