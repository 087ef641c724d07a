export { VolumeStore, volumeInfo, mountsOf, noSuchVolume, type VolumeStoreDeps } from "./store.js";
export { prepareMounts, runtimeMounts, copyUp } from "./mounts.js";
