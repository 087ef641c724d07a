import { InvalidArgument } from "../errors.js";

/**
 * JSON with comments, as devcontainer.json is written (VS Code's JSONC): `//` and `/* *\/`
 * comments and trailing commas before `}` or `]` are dropped, everything inside strings is kept;
 * the rest must be JSON. An error names the file, line and column. (No JSONC package is a
 * dependency of Berth, and this much is small enough to own, with its tests beside it.)
 */
export function parseJsonc(text: string, file: string): unknown {
  let out = "";
  let i = 0;
  const n = text.length;
  const at = (pos: number) => {
    const before = text.slice(0, pos).split("\n");
    return `${file}:${before.length}:${before.at(-1)!.length + 1}`;
  };
  while (i < n) {
    const c = text[i]!;
    if (c === '"') {
      const start = i;
      i++;
      while (i < n && text[i] !== '"') {
        if (text[i] === "\\") i++;
        if (text[i] === "\n") throw new InvalidArgument(`${at(start)}: a string is not closed on its line`);
        i++;
      }
      if (i >= n) throw new InvalidArgument(`${at(start)}: a string is not closed`);
      out += text.slice(start, ++i);
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < n && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end < 0) throw new InvalidArgument(`${at(i)}: a /* comment is not closed`);
      // Newlines kept: positions in JSON.parse's errors still match the file's lines.
      out += text.slice(i, end + 2).replace(/[^\n]/g, " ");
      i = end + 2;
    } else if (c === ",") {
      let j = i + 1;
      // A comma followed (past blanks and comments) by a closing bracket is a trailing comma.
      for (;;) {
        while (j < n && /\s/.test(text[j]!)) j++;
        if (text[j] === "/" && text[j + 1] === "/") while (j < n && text[j] !== "\n") j++;
        else if (text[j] === "/" && text[j + 1] === "*") j = text.indexOf("*/", j + 2) < 0 ? n : text.indexOf("*/", j + 2) + 2;
        else break;
      }
      out += text[j] === "}" || text[j] === "]" ? " " : ",";
      i++;
    } else {
      out += c;
      i++;
    }
  }
  try {
    return JSON.parse(out) as unknown;
  } catch (err) {
    const m = /position (\d+)/.exec((err as Error).message);
    const where = m ? at(Number(m[1])) : file;
    throw new InvalidArgument(`${where}: not valid JSON (with comments): ${(err as Error).message.replace(/ in JSON at position \d+.*$/, "")}`, { cause: err });
  }
}
