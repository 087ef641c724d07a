export { withContainerRoot, lowerdirsOf, type ContainerFsDeps } from "./root.js";
export { archiveGet } from "./archive-get.js";
export { archivePut, placement, type PutSource } from "./archive-put.js";
export { containerChanges } from "./changes.js";
export { cleanContainerPath } from "./paths.js";
export { lockContainerFs } from "./lock.js";
export { unmountStale } from "./stale.js";
export { listDir } from "./list.js";
