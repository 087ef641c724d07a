export { TerminalSessions, DEFAULT_SHELL } from "./registry.js";
export { SharedTerminal, SCROLLBACK_BYTES } from "./session.js";
