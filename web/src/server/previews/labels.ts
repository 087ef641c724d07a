/** Labels on a preview's containers (beside Compose's): which project and branch it previews. */
export const PREVIEW_LABEL = {
  project: "berth.preview.project",
  branch: "berth.preview.branch",
} as const;
