// Placeholder for rel-deploy's deploy engine (branch rel-deploy), replaced by it at the merge
// that follows this commit: the signature the shared plan (RELEASES.md) gives.
import { BerthError, FailedPrecondition } from "@berth/core";
import type { Services } from "../services.js";
import type { Actor } from "../policy/index.js";

export class ReleaseFailed extends BerthError {
  readonly step: string = "start";
}

export function deployRelease(_s: Services, releaseId: string, _opts: { actor: Actor; onLine: (line: string) => void }): Promise<{ url: string; number: number }> {
  return Promise.reject(new FailedPrecondition(`release ${releaseId}: this build has no deploy engine`));
}
