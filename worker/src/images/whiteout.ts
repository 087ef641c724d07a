import { InvalidArgument } from "@berth/core";

/** OCI whiteouts (image-spec layer.md): `.wh.<name>` deletes <name> of lower layers; `.wh..wh..opq` hides all of a directory's lower content. */
export const WHITEOUT_PREFIX = ".wh.";
export const OPAQUE_MARKER = ".wh..wh..opq";

export type EntryKind =
  | { kind: "entry" }
  /** `dir` is "" for the root. */
  | { kind: "opaque"; dir: string }
  | { kind: "whiteout"; target: string }
  /** AUFS bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`): carries nothing for us. */
  | { kind: "meta" };

/** What a cleaned layer path ("a/b/.wh.c") means. */
export function classifyEntry(rel: string): EntryKind {
  const slash = rel.lastIndexOf("/");
  const dir = slash >= 0 ? rel.slice(0, slash) : "";
  const base = slash >= 0 ? rel.slice(slash + 1) : rel;
  if (!base.startsWith(WHITEOUT_PREFIX)) return { kind: "entry" };
  if (base === OPAQUE_MARKER) return { kind: "opaque", dir };
  if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return { kind: "meta" };
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === "" || name === "." || name === "..") throw new InvalidArgument(`layer entry "${rel}" is a whiteout of "${name}", which names no file`);
  return { kind: "whiteout", target: dir ? `${dir}/${name}` : name };
}
