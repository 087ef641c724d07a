export { NetworkService, DEFAULT_NETWORK, linkTag, type ContainerRef, type NetworkOptions, type Prepared } from "./service.js";
export { controlPlanePorts } from "./control-plane.js";
