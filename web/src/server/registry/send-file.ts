/**
 * Sends a byte span of a file as the body of an answer, through a few reused buffers.
 *
 * A read stream allocates a fresh buffer for every read: a 200 MB pull is 200 one-MiB
 * allocations outside V8's heap, and that churn makes V8 collect the whole (large, with Next
 * loaded) heap again and again — measured as most of the JS time of a pull. Here each buffer is
 * filled only once the socket has taken its previous contents (the write's callback), so two
 * buffers keep the disk and the socket both busy and nothing is allocated per read.
 */
import fs from "node:fs/promises";
import type { ServerResponse } from "node:http";

const CHUNK = 1 << 20;
const IN_FLIGHT = 2;
/** Free buffers for the next answer (a few, so concurrent pulls rarely allocate). */
const pool: Buffer[] = [];
const POOL_MAX = 8;

const take = () => pool.pop() ?? Buffer.allocUnsafeSlow(CHUNK);
const give = (b: Buffer) => {
  if (pool.length < POOL_MAX) pool.push(b);
};

/** Writes bytes [start, end] (inclusive) of `file` to `res` and ends it; rejects if the file or the client fails. */
export async function sendFileSpan(res: ServerResponse, file: string, start: number, end: number): Promise<void> {
  const fh = await fs.open(file, "r");
  const buffers: Buffer[] = [];
  // Per buffer: the write that still holds it, settled once the socket has taken its bytes.
  const pending: Promise<unknown>[] = [];
  const closed = new Promise<void>((resolve) => res.once("close", resolve));
  const premature = () => Object.assign(new Error("the client closed the connection"), { code: "ERR_STREAM_PREMATURE_CLOSE" });
  try {
    let pos = start;
    for (let i = 0; pos <= end; i++) {
      const k = i % IN_FLIGHT;
      await Promise.race([pending[k], closed]);
      if (res.destroyed) throw premature();
      const buf = (buffers[k] ??= take());
      const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, end - pos + 1), pos);
      if (bytesRead === 0) throw Object.assign(new Error(`${file} ended at byte ${pos}, before byte ${end}`), { code: "EIO", path: file });
      pos += bytesRead;
      if (res.destroyed) throw premature();
      pending[k] = new Promise<void>((resolve) => res.write(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead), () => resolve()));
    }
    // 'finish' (end's callback) comes once the socket has taken every byte; a client gone first never sees it.
    await Promise.race([new Promise<void>((resolve) => res.end(resolve)), closed]);
    if (!res.writableFinished) throw premature();
  } catch (e) {
    res.destroy();
    throw e;
  } finally {
    await fh.close();
    // A destroyed answer may still hold a buffer in a cancelled write: only buffers of a finished one go back.
    if (res.writableFinished) for (const b of buffers) give(b);
  }
}
