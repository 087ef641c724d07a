export { ROLES, ROLE_ACTIONS, TEAM_ACTIONS, ACCOUNT_ACTIONS, isRole, isReadAction, roleRank, type Role, type TeamAction, type AccountAction, type Action } from "./roles.js";
export { can, authorize, effectiveRole, type Decision, type Resource } from "./can.js";
export { actorFor, ensurePersonalTeam, teamFromHeaders, TEAM_HEADER, type Actor } from "./actor.js";
export { hostPowerRefusal, DEFAULT_CAPS, type HostPathGrant } from "./host-power.js";
export { httpActor, actorWithPolicy } from "./http.js";
export { registryActionsFor, REGISTRY_ACTIONS, REGISTRY_TEAM_ACTION, type RegistryAction } from "./registry.js";
export { edgeVerdict, edgeActionFor, type EdgeVerdict } from "./edge.js";
