/**
 * The pieces every zero-downtime deploy shares (branch previews and environment releases): the
 * release command in a one-off container, HTTP readiness of a new container, and which service
 * of a compose project takes the traffic.
 */
export { addressOf, probeHttp, untilAnswers, type Readiness } from "./ready.js";
export { runRelease } from "./release.js";
export { WEB_PORT_LABEL, webOf, type WebService } from "./web.js";
