export { loadDevcontainer, findDevcontainer, DEVCONTAINER_FILES, type DevcontainerPlan, type LifecycleCommand } from "./load.js";
export { parseJsonc } from "./jsonc.js";
