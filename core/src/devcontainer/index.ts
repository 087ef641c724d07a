export { loadDevcontainer, initializeSteps, findDevcontainer, addMounts, mount as devcontainerMount, DEVCONTAINER_FILES, type DevcontainerPlan } from "./load.js";
export { installOrder, unversioned, type OrderedFeature } from "./feature-order.js";
export { devcontainerId } from "./devcontainer-id.js";
export { parseJsonc } from "./jsonc.js";
export { LIFECYCLE_HOOKS, lifecycleSteps, type LifecycleCommand, type LifecycleHook, type LifecycleStep } from "./lifecycle.js";
export { featureUses, readFeatureMetadata, featureEnvFile, featuresDockerfile, optionVariable, type FeatureUse, type FeatureSource, type FeatureMetadata } from "./features.js";
export type { ForwardedPort } from "./ports.js";
export { mergedConfiguration } from "./merged.js";
export { resolveRemoteEnv } from "./variables.js";
