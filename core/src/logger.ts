import { pino, type Logger } from "pino";

/** Structured JSON logs to stderr; one logger per process, children per component. */
export function createLogger(name: string, level: string = process.env.BERTH_LOG_LEVEL ?? "info"): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination(2));
}
export type { Logger };
