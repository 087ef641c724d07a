/**
 * Which extended attributes travel in a layer, and reading/writing them (through the native
 * addon: Node has no xattr API). A layer carries the user's data: `user.*`, file capabilities
 * (`security.capability`, so `setcap`'d binaries keep working), POSIX ACLs and `trusted.*`.
 * Never overlayfs' own bookkeeping (`trusted.overlay.*`: opaque marks travel as `.wh..wh..opq`,
 * and a redirect or origin taken from a layer could point overlay anywhere) and never the
 * host's labels (`security.selinux`, `security.ima`, …).
 */
import { getXattr, listXattrs, setXattr } from "@berth/native";
import { FailedPrecondition } from "@berth/core";

export const OVERLAY_XATTR_PREFIX = "trusted.overlay.";

export function isLayerXattr(name: string): boolean {
  if (name.startsWith(OVERLAY_XATTR_PREFIX)) return false;
  return name.startsWith("user.") || name.startsWith("trusted.") || name === "security.capability" || name === "system.posix_acl_access" || name === "system.posix_acl_default";
}

const code = (e: unknown) => (e as { code?: string }).code;
/** The filesystem keeps no attributes at all, or the attribute vanished meanwhile. */
const nothingThere = (e: unknown) => code(e) === "ENOTSUP" || code(e) === "EOPNOTSUPP" || code(e) === "ENODATA";

/** The layer-worthy attributes of `p` (a symlink's own), sorted by name so a tree always packs the same. */
export function readLayerXattrs(p: string): [string, Buffer][] {
  let names: string[];
  try {
    names = listXattrs(p);
  } catch (e) {
    if (nothingThere(e)) return [];
    throw e;
  }
  const out: [string, Buffer][] = [];
  for (const n of names.filter(isLayerXattr).sort()) {
    try {
      out.push([n, getXattr(p, n)]);
    } catch (e) {
      if (!nothingThere(e)) throw e;
    }
  }
  return out;
}

/**
 * Applies a layer entry's attributes to what was just unpacked (after chown and chmod: chown
 * clears `security.capability`). Attributes outside the layer set are ignored. A symlink takes
 * no `user.*` attribute (the kernel refuses them there): those are dropped, as tar does.
 */
export function applyLayerXattrs(p: string, xattrs: Map<string, Buffer>, isSymlink: boolean, entry: string): void {
  for (const [name, value] of xattrs) {
    if (!isLayerXattr(name)) continue;
    try {
      setXattr(p, name, value);
    } catch (e) {
      if (isSymlink && (code(e) === "EPERM" || code(e) === "ENOTSUP" || code(e) === "EOPNOTSUPP")) continue;
      throw new FailedPrecondition(`layer entry "${entry}": cannot set the extended attribute ${name}: ${(e as Error).message}`, { cause: e });
    }
  }
}
