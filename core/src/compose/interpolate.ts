import { InvalidArgument } from "../errors.js";

/**
 * Compose's variable interpolation (the shell-like subset the compose specification defines):
 * `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`,
 * `${VAR:+replacement}`, `${VAR+replacement}`, and `$$` for a literal `$`. Defaults and
 * replacements may themselves hold interpolations, as Compose v2 allows.
 */
export type Lookup = (name: string) => string | undefined;

export interface InterpolateContext {
  lookup: Lookup;
  /** Called once per variable that is unset and has no default (Compose warns and uses ""). */
  onUnset?: (name: string) => void;
  /** Where the string came from, for error messages: "compose.yaml:12 (services.web.image)". */
  where?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export function interpolate(text: string, ctx: InterpolateContext): string {
  if (!text.includes("$")) return text;
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
      continue;
    }
    if (next === "{") {
      const end = closingBrace(text, i + 2, ctx);
      out += expandBraced(text.slice(i + 2, end), ctx);
      i = end + 1;
      continue;
    }
    const m = NAME.exec(text.slice(i + 1));
    if (!m) {
      // A lone `$` (e.g. at the end, or before a digit) stays as written, as Compose does.
      out += "$";
      i++;
      continue;
    }
    out += valueOf(m[0], ctx);
    i += 1 + m[0].length;
  }
  return out;
}

function closingBrace(text: string, from: number, ctx: InterpolateContext): number {
  let depth = 1;
  for (let j = from; j < text.length; j++) {
    if (text[j] === "$" && text[j + 1] === "{") {
      depth++;
      j++;
    } else if (text[j] === "}") {
      depth--;
      if (depth === 0) return j;
    }
  }
  throw new InvalidArgument(`${prefix(ctx)}unclosed "\${" in "${text}": close it with "}" or write "$$" for a literal "$"`);
}

function expandBraced(inner: string, ctx: InterpolateContext): string {
  const m = NAME.exec(inner);
  if (!m) throw new InvalidArgument(`${prefix(ctx)}invalid interpolation "\${${inner}}": a variable name is letters, digits and "_", not starting with a digit`);
  const name = m[0];
  const rest = inner.slice(name.length);
  if (rest === "") return valueOf(name, ctx);
  const op = /^(:-|-|:\?|\?|:\+|\+)/.exec(rest)?.[0];
  if (!op) throw new InvalidArgument(`${prefix(ctx)}invalid interpolation "\${${inner}}": after the name use one of :- - :? ? :+ +`);
  const arg = rest.slice(op.length);
  const value = ctx.lookup(name);
  const set = value !== undefined;
  const nonEmpty = set && value !== "";
  switch (op) {
    case ":-":
      return nonEmpty ? value : interpolate(arg, ctx);
    case "-":
      return set ? value : interpolate(arg, ctx);
    case ":?":
      if (nonEmpty) return value;
      throw new InvalidArgument(`${prefix(ctx)}required variable ${name} is missing a value${arg ? `: ${interpolate(arg, ctx)}` : ""}`);
    case "?":
      if (set) return value;
      throw new InvalidArgument(`${prefix(ctx)}required variable ${name} is missing a value${arg ? `: ${interpolate(arg, ctx)}` : ""}`);
    case ":+":
      return nonEmpty ? interpolate(arg, ctx) : "";
    default:
      return set ? interpolate(arg, ctx) : "";
  }
}

function valueOf(name: string, ctx: InterpolateContext): string {
  const v = ctx.lookup(name);
  if (v === undefined) {
    ctx.onUnset?.(name);
    return "";
  }
  return v;
}

const prefix = (ctx: InterpolateContext) => (ctx.where ? `${ctx.where}: ` : "");
