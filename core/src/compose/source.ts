import path from "node:path";
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import { InvalidArgument } from "../errors.js";

export type Path = readonly (string | number)[];

/** One parsed compose file: its plain value and a way back from a path to its line. */
export interface Source {
  file: string;
  /** The file as the user named it, for messages ("compose.yaml", "../base/compose.yaml"). */
  shown: string;
  dir: string;
  value: unknown;
  lineOf(p: Path): number | undefined;
  /** "compose.yaml:12" (or just the file when the path has no line). */
  where(p: Path): string;
}

export function parseSource(text: string, file: string, cwd: string): Source {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: false });
  const shown = path.relative(cwd, file) || path.basename(file);
  const err = doc.errors[0];
  if (err) {
    const line = err.pos ? lineCounter.linePos(err.pos[0]).line : undefined;
    throw new InvalidArgument(`${shown}${line ? `:${line}` : ""}: not valid YAML: ${err.message.split("\n")[0]}`);
  }
  const value = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  const lineOf = (p: Path) => {
    const node = nodeAt(doc, p);
    const at = node?.range?.[0];
    return at === undefined ? undefined : lineCounter.linePos(at).line;
  };
  return {
    file,
    shown,
    dir: path.dirname(file),
    value: value ?? {},
    lineOf,
    where: (p) => {
      // The nearest ancestor that has a line: a key added by a merge (<<) has none of its own.
      for (let q = p; ; q = q.slice(0, -1)) {
        const line = lineOf(q);
        if (line !== undefined) return `${shown}:${line}`;
        if (q.length === 0) return shown;
      }
    },
  };
}

/** The key node of a mapping entry (its line is where the user wrote the key), or the item of a sequence. */
function nodeAt(doc: Document, p: Path): Node | undefined {
  let node: unknown = doc.contents;
  let found: Node | undefined = doc.contents ?? undefined;
  for (const seg of p) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg));
      if (!pair) return undefined;
      found = (isScalar(pair.key) ? pair.key : undefined) ?? found;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg];
      if (!item) return undefined;
      found = item as Node;
      node = item;
    } else {
      return undefined;
    }
  }
  return found;
}
