import { InvalidArgument } from "../errors.js";
import { interpolate, type Lookup } from "./interpolate.js";

/**
 * Reads a `.env` or `env_file` file the way Compose does: `KEY=VALUE` lines, an optional
 * `export ` prefix, `#` comments, single quotes literal, double quotes with escapes, unquoted
 * values trimmed with a trailing ` #comment` dropped, and interpolation of `${VAR}` from the
 * lines above and then from `outer`. A bare `KEY` takes its value from `outer` (or is left out).
 */
export function parseEnvFile(text: string, file: string, outer: Lookup): Map<string, string> {
  const out = new Map<string, string>();
  const lookup: Lookup = (name) => out.get(name) ?? outer(name);
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    let line = (lines[n] ?? "").trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("export ")) line = line.slice(7).trimStart();
    const eq = line.indexOf("=");
    const key = (eq === -1 ? line : line.slice(0, eq)).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
      throw new InvalidArgument(`${file}:${n + 1}: "${key}" is not a variable name: write KEY=VALUE, with KEY made of letters, digits and "_"`);
    }
    if (eq === -1) {
      const v = outer(key);
      if (v !== undefined) out.set(key, v);
      continue;
    }
    let raw = line.slice(eq + 1).trimStart();
    const where = `${file}:${n + 1}`;
    if (raw.startsWith("'")) {
      // Single quotes may span lines; nothing inside is expanded.
      let body = raw.slice(1);
      while (!body.includes("'") && n + 1 < lines.length) body += "\n" + lines[++n];
      const close = body.indexOf("'");
      if (close === -1) throw new InvalidArgument(`${where}: the value of ${key} opens a ' quote that is never closed`);
      out.set(key, body.slice(0, close));
    } else if (raw.startsWith('"')) {
      let body = raw.slice(1);
      while (closingQuote(body) === -1 && n + 1 < lines.length) body += "\n" + lines[++n];
      const close = closingQuote(body);
      if (close === -1) throw new InvalidArgument(`${where}: the value of ${key} opens a " quote that is never closed`);
      const unescaped = body
        .slice(0, close)
        .replace(/\\([\\"nrt$])/g, (_m, c: string) => ({ n: "\n", r: "\r", t: "\t" })[c] ?? (c === "$" ? "$$" : c));
      out.set(key, interpolate(unescaped, { lookup, where }));
    } else {
      const hash = raw.search(/\s#/);
      if (hash !== -1) raw = raw.slice(0, hash);
      out.set(key, interpolate(raw.trimEnd(), { lookup, where }));
    }
  }
  return out;
}

function closingQuote(s: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\") i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}
