export { loadSecretKey, SECRET_KEY_FILE, type SecretKey } from "./key.js";
export { mask, open, seal } from "./box.js";
