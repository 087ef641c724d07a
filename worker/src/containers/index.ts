export { ContainerManager, type ManagerDeps } from "./manager.js";
export { processFromImage } from "./spec.js";
export { exitCodeOf, describeSpawnFailure } from "./exit-status.js";
export { endAllShims } from "./shim.js";
