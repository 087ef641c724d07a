import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * A feature from an OCI registry: pulled by Berth's worker through its registry client (as
 * `berth pull` does; the worker takes a feature artifact as a one-layer image), then its layer,
 * the feature's folder, read back here from the image's archive into `dest`. Any failure names
 * the feature and the registry.
 */
export async function pullFeature(ref: string, id: string, dest: string): Promise<void> {
  const [{ credsFor, transfer, registryOf }, { connectImages, download }, { CliError, toCliError }, tar] = await Promise.all([
    import("../registry-transfer.js"),
    import("../image-client.js"),
    import("../errors.js"),
    import("tar"),
  ]);
  const s = await connectImages();
  try {
    await transfer("/api/images/pull", ref, credsFor(ref, undefined), true);
  } catch (err) {
    const e = toCliError(err, s.url);
    throw new CliError(e.code, `feature "${id}": cannot pull ${ref} from ${registryOf(ref) ?? "its registry"}: ${e.message}`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "berth-feature-"));
  try {
    const archive = path.join(tmp, "image.tar");
    await download(s, "/api/images/save", [["name", ref], ["format", "docker"]], fs.createWriteStream(archive));
    const unpacked = path.join(tmp, "image");
    fs.mkdirSync(unpacked);
    await tar.x({ file: archive, cwd: unpacked });
    const [manifest] = JSON.parse(fs.readFileSync(path.join(unpacked, "manifest.json"), "utf8")) as { Layers: string[] }[];
    fs.mkdirSync(dest, { recursive: true });
    // tar refuses absolute paths and .. by default: a feature cannot write outside its folder.
    for (const layer of manifest?.Layers ?? []) await tar.x({ file: path.join(unpacked, layer), cwd: dest });
    if (!fs.existsSync(path.join(dest, "install.sh"))) throw new CliError("BAD_RESPONSE", `feature "${id}": ${ref} has no install.sh: is it a Dev Container Feature?`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
