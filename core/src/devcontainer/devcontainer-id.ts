import { createHash } from "node:crypto";

/**
 * `${devcontainerId}` (features spec, "Dev Container ID"): stable for a folder across rebuilds,
 * unique per folder on a host, alphanumeric. Computed as the spec's label-based way describes:
 * the labels as JSON with sorted keys, SHA-256, in base 32, padded with zeros to 52 characters.
 * Berth's one label is the folder, as the reference CLI's is for a local folder.
 */
export function devcontainerId(folder: string): string {
  const labels: Record<string, string> = { "devcontainer.local_folder": folder };
  const json = JSON.stringify(Object.fromEntries(Object.keys(labels).sort().map((k) => [k, labels[k]])));
  const hex = createHash("sha256").update(json, "utf8").digest("hex");
  return BigInt(`0x${hex}`).toString(32).padStart(52, "0");
}
