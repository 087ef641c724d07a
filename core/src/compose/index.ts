export { loadCompose, DEFAULT_FILES, type LoadOptions } from "./load.js";
export { ComposeProject, ComposeService, ComposePort, ComposeMount, DependsOn, Healthcheck, ComposeWarning } from "./model.js";
export { interpolate } from "./interpolate.js";
export { parseEnvFile } from "./env-file.js";
export { SERVICE as SERVICE_KEYS, TOP_LEVEL as TOP_LEVEL_KEYS, type Support } from "./support.js";
export { toComposeYaml, toComposeDocument } from "./print.js";
export { builtImageName, IMAGE_LABEL } from "./names.js";
export { BerthYaml, parseBerthYaml } from "./berth-yaml.js";
