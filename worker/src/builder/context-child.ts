/**
 * The build context process (see context-process.ts): unpacks contexts and reads their
 * Dockerfiles on the worker's behalf, one message per build, answering with the Dockerfile's
 * text or the error's kind and message.
 */
import { BerthError } from "@berth/core";
import { prepareContext } from "./context.js";
import type { PrepareReply, PrepareRequest } from "./context-process.js";

const reply = (m: PrepareReply) => process.send!(m);

process.on("message", (req: PrepareRequest) => {
  const archive = typeof req.archive === "string" ? req.archive : Buffer.from(req.archive.buffer, req.archive.byteOffset, req.archive.byteLength);
  prepareContext(archive, req.dir, req.dockerfile).then(
    ({ dockerfile }) => reply({ id: req.id, dockerfile }),
    (e: unknown) => reply({ id: req.id, error: { ...(e instanceof BerthError ? { kind: e.kind } : {}), message: (e as Error).message } }),
  );
});
// The worker went away: so does this process.
process.on("disconnect", () => process.exit(0));
