/**
 * Registry credentials are tried when they are set, not at the first promotion's copy: the
 * worker's registry client (the one the copy uses) asks the registry's /v2/ with them, as
 * `docker login` does. Refused or unreachable, nothing is stored and the error says which.
 */
import { BerthError, FailedPrecondition, JOB_REGISTRY, REGISTRY_CREDENTIAL_PREFIX, Unavailable, type RegistryCheckJob } from "@berth/core";
import type { Services } from "../services.js";
import { imageHost, runHostJob } from "../images/jobs.js";
import { stashCredential } from "../images/registry-http.js";
import { parseRegistryRepository, type RegistryCredentials } from "./registry.js";

const CHECK_TIMEOUT_MS = 60_000;

/** Resolves if the registry of `repository` accepts `creds`; throws a FailedPrecondition (refused) or Unavailable (not reached) saying nothing was stored. */
export async function checkRegistryCredentials(s: Services, repository: string, creds: RegistryCredentials): Promise<void> {
  const { registry } = parseRegistryRepository(repository);
  const key = (await stashCredential(s, creds))!;
  try {
    await runHostJob(s, JOB_REGISTRY.registryCheck, { registry, credentialKey: key } satisfies RegistryCheckJob, { hostId: await imageHost(s), timeoutMs: CHECK_TIMEOUT_MS });
  } catch (err) {
    const kind = err instanceof BerthError ? err.kind : undefined;
    // The client's messages start with the registry's name: said once, in front.
    const why = (err as Error).message.replace(`${registry}: `, "");
    if (kind === "Unauthenticated" || kind === "PermissionDenied") {
      throw new FailedPrecondition(`registry ${registry} refused user ${creds.username}: ${why}; nothing stored (check the user and the password or token)`, { cause: err });
    }
    if (kind === "Unavailable") {
      throw new Unavailable(`registry ${registry} could not be reached to check the credentials of ${creds.username}: ${why.replace(`${registry} could not be reached: `, "")}; nothing stored (check the address, or add --no-check to store them untried)`, { cause: err });
    }
    throw err;
  } finally {
    await s.redis.del(`${REGISTRY_CREDENTIAL_PREFIX}${key}`).catch(() => undefined);
  }
}
