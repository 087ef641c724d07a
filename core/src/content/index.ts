export * from "./store.js";
export * from "./gc.js";
export { ThreadHash } from "./hash-thread.js";
