export { NetworkService, DEFAULT_NETWORK, linkTag, type ContainerRef, type Prepared } from "./service.js";
