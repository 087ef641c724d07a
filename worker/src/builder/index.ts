export { build, StepFailed, type BuildDeps, type BuildRequest } from "./build.js";
export { BuildCache } from "./cache.js";
export { prepareContext, dockerignore } from "./context.js";
export { parseDockerfile } from "./parse.js";
export { ContextProcess } from "./context-process.js";
