import type { VolumeStore } from "../volumes/index.js";
import type { ImageJobDeps } from "./deps.js";

/** What volume, mount, cp and diff jobs need: the image deps plus this host's volumes. */
export interface VolumeJobDeps extends ImageJobDeps {
  volumes: VolumeStore;
}
