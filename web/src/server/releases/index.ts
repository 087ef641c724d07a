export { listReleases, showRelease, diffReleases, releaseNumber, type ReleaseDetail, type ReleaseDiff } from "./read.js";
export { promote, rollback, redeployConfig, type ReleaseRunResult } from "./promote.js";
export { releaseSummary, parseImages, parseHealth, type ReleaseSummary } from "./summary.js";
export { createRelease, type NewRelease } from "./create.js";
export { protectedImages } from "./protect.js";
export { branchFollowerFor, releaseFromPreview, WEB_PORT_LABEL } from "./follow.js";
