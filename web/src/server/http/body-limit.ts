import type { IncomingMessage } from "node:http";

export type BodyStop = "too-large" | "idle";

/**
 * Watches a request body as it arrives, whoever reads it and whenever: more than `limit` bytes,
 * or nothing for `idleMs`, calls `stop` once (the caller closes the connection, so every reader
 * sees the body cut short and removes what it wrote).
 *
 * It hooks the request's `push`, which is how Node's HTTP parser hands a body chunk to the
 * request stream: a 'data' listener would switch the stream to flowing mode and lose chunks
 * that arrive before a route starts reading (routes authenticate first).
 */
export function watchBody(req: IncomingMessage, limit: number, idleMs: number, stop: (why: BodyStop, received: number) => void): void {
  let received = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const halt = (why: BodyStop) => {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    stop(why, received);
  };
  // One timer, pushed back per chunk with refresh(): a big upload arrives in thousands of chunks,
  // and a new timer for each costs more than the rest of this hook.
  const arm = () => {
    if (timer) {
      timer.refresh();
      return;
    }
    timer = setTimeout(() => {
      // A full buffer means our reader is behind and the socket is paused on purpose: not the client's stall.
      if (req.readableLength >= req.readableHighWaterMark && !req.destroyed) return arm();
      halt("idle");
    }, idleMs);
    timer.unref();
  };
  const push = req.push.bind(req);
  req.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (chunk === null) {
      clearTimeout(timer);
      return push(chunk, encoding);
    }
    if (stopped) return false;
    received += (chunk as Buffer).length;
    if (received > limit) {
      halt("too-large");
      return false;
    }
    arm();
    return push(chunk, encoding);
  };
  req.once("close", () => clearTimeout(timer));
  arm();
}
