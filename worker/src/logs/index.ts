export { keepRemovedLogs, removedLogsDir, startRemovedLogsSweep, sweepRemovedLogs, type KeepDeps } from "./removed.js";
