export * from "./store.js";
export * from "./gc.js";
