export { VolumeStore, volumeInfo, mountsOf, type VolumeStoreDeps } from "./store.js";
export { prepareMounts, runtimeMounts, copyUp } from "./mounts.js";
