export { deployPreview, removePreview, previewNames, PreviewFailed, type DeployPreviewInput, type DeployPreviewResult, type PreviewDeps, type RemovePreviewInput } from "./deploy.js";
export { PREVIEW_LABEL } from "./labels.js";
