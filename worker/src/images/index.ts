export { packDirectory, type LayerBlob } from "./layer.js";
export { unpackLayer } from "./unpack.js";
export { Snapshots } from "./snapshots.js";
export { loadImage, commitImage, type ResolvedImage } from "./store.js";
export { ensureBusybox, BUSYBOX_REF } from "./busybox.js";
