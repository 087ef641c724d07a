export { ensureDefaultEnvironments, environmentNames, findEnvironment, projectEnvironments, domainsOf, type EnvironmentRow } from "./find.js";
export { listEnvironments, createEnvironment, updateEnvironment, updateRegistry, removeEnvironment, type EnvironmentSummary, type EnvironmentSettings } from "./service.js";
export { openRegistryCredentials, parseRegistryRepository, registryTarget, serviceRepository, type RegistryCredentials, type RegistryTarget } from "./registry.js";
export { checkRegistryCredentials } from "./registry-check.js";
export { listConfig, setConfig, unsetConfig, openConfig, parseSealedConfig, configContext, MASKED, type ConfigEntry, type SealedConfig } from "./config.js";
export { environmentEvent } from "./events.js";
