export { ensureDefaultEnvironments, environmentNames, findEnvironment, projectEnvironments, domainsOf, type EnvironmentRow } from "./find.js";
export { listEnvironments, createEnvironment, updateEnvironment, removeEnvironment, type EnvironmentSummary, type EnvironmentSettings } from "./service.js";
export { listConfig, setConfig, unsetConfig, openConfig, parseSealedConfig, configContext, MASKED, type ConfigEntry, type SealedConfig } from "./config.js";
export { environmentEvent } from "./events.js";
