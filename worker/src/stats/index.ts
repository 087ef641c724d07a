export { StatsHistory } from "./history.js";
export { StatsSampler, type RunningContainers, type SamplerDeps } from "./sampler.js";
