/**
 * The build context process (see context-process.ts): unpacks contexts, reads their
 * Dockerfiles and extracts ADD's archives on the worker's behalf, one message per request,
 * answering with the result or the error's kind and message.
 */
import { BerthError } from "@berth/core";
import { extractArchive, prepareContext } from "./context.js";
import type { ContextReply, ContextRequest } from "./context-process.js";

const reply = (m: ContextReply) => process.send!(m);

process.on("message", (req: ContextRequest) => {
  const work: Promise<{ dockerfile?: string }> =
    req.op === "extract"
      ? extractArchive(req.archive, req.dir).then(() => ({}))
      : prepareContext(typeof req.archive === "string" ? req.archive : Buffer.from(req.archive.buffer, req.archive.byteOffset, req.archive.byteLength), req.dir, req.dockerfile);
  work.then(
    (r) => reply({ id: req.id, ...r }),
    (e: unknown) => reply({ id: req.id, error: { ...(e instanceof BerthError ? { kind: e.kind } : {}), message: (e as Error).message } }),
  );
});
// The worker went away: so does this process.
process.on("disconnect", () => process.exit(0));
