import { ContainerOptions } from "@berth/core";

/** The mounts of a container's stored options ([] for options that do not parse). */
export function mountsOf(optionsJson: string) {
  try {
    return ContainerOptions.parse(JSON.parse(optionsJson)).mounts;
  } catch {
    return [];
  }
}

