export { Authenticator, parseChallenge, type Credentials } from "./auth.js";
export { RegistryClient, registryBase, isLoopback, MANIFEST_TYPES, TransientError } from "./client.js";
export { pushImage, PARALLEL_TRANSFERS, type PushTarget } from "./push.js";
export { pullImage, pickPlatform, ociArch, type PullSource } from "./pull.js";
export { shortDigest, type ProgressFn } from "./progress.js";
export { resolveRemote, takeCredential } from "./remote.js";
export { verifyPushed, type PushedImage } from "./verify.js";
