/** Berth's release, as `berth version` and `berth info` report it (kept equal to package.json's by version.test.ts). */
export const BERTH_VERSION = "0.1.0";
