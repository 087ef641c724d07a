export { VolumeStore, volumeInfo, mountsOf, noSuchVolume, type VolumeStoreDeps } from "./store.js";
export { unmountVolumeOverlays } from "./snapshot.js";
export { prepareMounts, runtimeMounts, copyUp } from "./mounts.js";
