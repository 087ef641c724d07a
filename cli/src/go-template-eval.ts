/**
 * Go's text/template over JSON values, as `docker inspect -f`, `docker version -f` and
 * `docker info -f` evaluate their templates: field chains (`{{.State.Status}}`), variables
 * (`$`, `{{range $k, $v := .Config.Labels}}`), pipelines (`{{.Name | upper}}`), `if`/`else`,
 * `range`, `with`, `{{- -}}` trimming, and the functions docker adds to Go's (json, split, join,
 * title, lower, upper, pad, truncate) plus Go's own (len, index, print, printf, println, eq, ne,
 * lt, le, gt, ge, and, or, not). Values print as Go's fmt does with a decoded JSON value
 * (`[a b]`, `map[k:v]`, `<nil>`, `<no value>` for a missing key). go-template.ts keeps the small
 * row-based subset the list commands' `table` formats use.
 */

export class TemplateError extends Error {}

type Arg =
  | { k: "field"; base: string; path: string[] }
  | { k: "lit"; v: unknown }
  | { k: "fn"; name: string }
  | { k: "pipe"; pipe: Pipe };
type Pipe = { decl: string[]; cmds: Arg[][] };
type Node =
  | { t: "text"; s: string }
  | { t: "action"; pipe: Pipe }
  | { t: "if" | "with" | "range"; pipe: Pipe; body: Node[]; alt: Node[] };

const FIELD = /^(\$[A-Za-z0-9_]*)?((?:\.[A-Za-z0-9_]+)*)$/;

/** Tokens of one action: strings, numbers, words, `.Field` chains, `|`, `(`, `)`, `:=`, `,`. */
function lex(src: string): string[] {
  const out: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|'(?:[^'\\]|\\.)'|:=|[|(),=]|[^\s|(),"`=]+)/y;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(src))) {
    out.push(m[1]!);
    end = re.lastIndex;
  }
  if (src.slice(end).trim()) throw new TemplateError(`template: bad syntax in "{{${src}}}"`);
  return out;
}

function parseArg(tok: string, toks: string[]): Arg {
  if (tok === "(") {
    const pipe = parsePipe(toks, ")");
    return { k: "pipe", pipe };
  }
  if (tok.startsWith('"')) return { k: "lit", v: JSON.parse(tok) as string };
  if (tok.startsWith("`")) return { k: "lit", v: tok.slice(1, -1) };
  if (/^-?\d+(\.\d+)?$/.test(tok)) return { k: "lit", v: Number(tok) };
  if (tok === "true" || tok === "false") return { k: "lit", v: tok === "true" };
  if (tok === "nil") return { k: "lit", v: null };
  if (tok === ".") return { k: "field", base: ".", path: [] };
  const f = FIELD.exec(tok);
  if (f && (f[1] || f[2])) return { k: "field", base: f[1] ?? ".", path: f[2] ? f[2].slice(1).split(".") : [] };
  if (/^[A-Za-z_]\w*$/.test(tok)) {
    if (!(tok in FUNCS)) throw new TemplateError(`template: function "${tok}" not defined`);
    return { k: "fn", name: tok };
  }
  throw new TemplateError(`template: unexpected "${tok}" in command`);
}

/** A pipeline from the tokens (consumed up to `end`, if given). */
function parsePipe(toks: string[], end?: string): Pipe {
  const decl: string[] = [];
  const di = toks.indexOf(":=");
  if (di > 0 && (!end || di < toks.indexOf(end))) {
    for (const t of toks.splice(0, di + 1).slice(0, -1)) if (t !== ",") decl.push(t);
    if (!decl.every((d) => /^\$\w+$/.test(d))) throw new TemplateError(`template: bad variable declaration "${decl.join(", ")}"`);
  }
  const cmds: Arg[][] = [[]];
  for (;;) {
    const t = toks.shift();
    if (t === undefined) {
      if (end) throw new TemplateError(`template: unclosed "("`);
      break;
    }
    if (t === end) break;
    if (t === "|") cmds.push([]);
    else cmds[cmds.length - 1]!.push(parseArg(t, toks));
  }
  if (cmds.some((c) => c.length === 0)) throw new TemplateError("template: missing value for command");
  return { decl, cmds };
}

/** Parses a whole template into a tree of nodes. */
export function parseTemplate(src: string): Node[] {
  const root: Node[] = [];
  const stack: { node: Node & { body: Node[]; alt: Node[] }; inAlt: boolean }[] = [];
  const cur = () => (stack.length ? (stack[stack.length - 1]!.inAlt ? stack[stack.length - 1]!.node.alt : stack[stack.length - 1]!.node.body) : root);
  let rest = src;
  let trimNext = false;
  while (rest.length) {
    const open = rest.indexOf("{{");
    let text = open < 0 ? rest : rest.slice(0, open);
    if (trimNext) text = text.replace(/^\s+/, "");
    trimNext = false;
    if (open < 0) {
      if (text) cur().push({ t: "text", s: text });
      break;
    }
    const close = rest.indexOf("}}", open);
    if (close < 0) throw new TemplateError(`template: unclosed action`);
    let inner = rest.slice(open + 2, close);
    if (/^-\s/.test(inner)) {
      text = text.replace(/\s+$/, "");
      inner = inner.slice(1);
    }
    if (/\s-$/.test(inner)) {
      trimNext = true;
      inner = inner.slice(0, -1);
    }
    if (text) cur().push({ t: "text", s: text });
    rest = rest.slice(close + 2);
    inner = inner.trim();
    if (inner.startsWith("/*")) continue;
    const toks = lex(inner);
    const head = toks[0];
    if (head === "if" || head === "range" || head === "with") {
      toks.shift();
      const node = { t: head, pipe: parsePipe(toks), body: [], alt: [] } as Node & { body: Node[]; alt: Node[] };
      cur().push(node);
      stack.push({ node, inAlt: false });
    } else if (head === "else") {
      const top = stack[stack.length - 1];
      if (!top || top.inAlt) throw new TemplateError("template: unexpected {{else}}");
      top.inAlt = true;
      if (toks[1] === "if" || toks[1] === "with") {
        // {{else if …}}: a nested block closed by the same {{end}}.
        const node = { t: toks[1], pipe: parsePipe(toks.slice(2)), body: [], alt: [] } as Node & { body: Node[]; alt: Node[] };
        top.node.alt.push(node);
        stack.push({ node, inAlt: false });
        (node as { chained?: boolean }).chained = true;
      }
    } else if (head === "end") {
      if (!stack.length) throw new TemplateError("template: unexpected {{end}}");
      while ((stack.pop()!.node as { chained?: boolean }).chained);
    } else if (toks.length === 0) throw new TemplateError("template: missing value for command");
    else cur().push({ t: "action", pipe: parsePipe(toks) });
  }
  if (stack.length) throw new TemplateError("template: unexpected EOF: an {{if}}, {{range}} or {{with}} has no {{end}}");
  return root;
}

type Vars = Map<string, unknown>;
const NO_VALUE = Symbol("no value");

function typeName(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  if (Array.isArray(v)) return "[]interface {}";
  if (typeof v === "object") return "map[string]interface {}";
  return typeof v === "number" ? "float64" : typeof v;
}

function field(v: unknown, path: string[]): unknown {
  let x = v;
  for (const p of path) {
    if (x === NO_VALUE || x === null || x === undefined) throw new TemplateError(`template: nil pointer evaluating interface {}.${p}`);
    if (typeof x !== "object" || Array.isArray(x)) throw new TemplateError(`template: can't evaluate field ${p} in type ${typeName(x)}`);
    x = p in (x as object) ? (x as Record<string, unknown>)[p] : NO_VALUE;
  }
  return x;
}

function truthy(v: unknown): boolean {
  if (v === NO_VALUE || v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

/** Go's fmt %v of a decoded JSON value. */
export function goString(v: unknown): string {
  if (v === NO_VALUE) return "<no value>";
  if (v === null || v === undefined) return "<nil>";
  if (Array.isArray(v)) return `[${v.map(goString).join(" ")}]`;
  if (typeof v === "object") return `map[${Object.keys(v).sort().map((k) => `${k}:${goString((v as Record<string, unknown>)[k])}`).join(" ")}]`;
  return String(v);
}

const cmp = (a: unknown, b: unknown) => (typeof a === "number" && typeof b === "number" ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0);

function printf(format: string, args: unknown[]): string {
  let i = 0;
  return format.replace(/%([-+ 0#]*\d*(?:\.\d+)?)([svdqtf%])/g, (_, flags: string, verb: string) => {
    if (verb === "%") return "%";
    const a = args[i++];
    let s = verb === "q" ? JSON.stringify(goString(a)) : verb === "f" ? Number(a).toFixed(Number(/\.(\d+)/.exec(flags)?.[1] ?? 6)) : verb === "d" ? String(Math.trunc(Number(a))) : goString(a);
    const width = Number(/^[-+ 0#]*(\d*)/.exec(flags)?.[1] || 0);
    if (s.length < width) s = flags.includes("-") ? s.padEnd(width) : s.padStart(width);
    return s;
  });
}

const FUNCS: Record<string, (...a: unknown[]) => unknown> = {
  // docker's: json.Marshal without HTML escaping, no trailing newline.
  json: (v) => JSON.stringify(v === NO_VALUE ? null : v) ?? "null",
  split: (s, sep) => String(s).split(String(sep)),
  join: (a, sep) => (Array.isArray(a) ? a.map(goString).join(String(sep)) : goString(a)),
  title: (s) => String(s).replace(/\b\w/g, (c) => c.toUpperCase()),
  lower: (s) => goString(s).toLowerCase(),
  upper: (s) => goString(s).toUpperCase(),
  pad: (s, before, after) => " ".repeat(Number(before)) + goString(s) + " ".repeat(Number(after)),
  truncate: (s, n) => [...goString(s)].slice(0, Number(n)).join(""),
  len: (v) => {
    if (typeof v === "string" || Array.isArray(v)) return v.length;
    if (v && typeof v === "object") return Object.keys(v).length;
    throw new TemplateError(`template: error calling len: len of ${typeName(v)}`);
  },
  index: (v, ...keys) => {
    let x = v;
    for (const k of keys) {
      if (Array.isArray(x)) x = x[Number(k)];
      else if (x && typeof x === "object") x = k !== null && String(k) in x ? (x as Record<string, unknown>)[String(k)] : NO_VALUE;
      else throw new TemplateError(`template: error calling index: can't index item of type ${typeName(x)}`);
      if (x === undefined) throw new TemplateError(`template: error calling index: index out of range: ${String(k)}`);
    }
    return x;
  },
  print: (...a) => a.map(goString).join(""),
  println: (...a) => a.map(goString).join(" ") + "\n",
  printf: (f, ...a) => printf(String(f), a),
  eq: (a, ...b) => b.some((x) => cmp(a, x) === 0),
  ne: (a, b) => cmp(a, b) !== 0,
  lt: (a, b) => cmp(a, b) < 0,
  le: (a, b) => cmp(a, b) <= 0,
  gt: (a, b) => cmp(a, b) > 0,
  ge: (a, b) => cmp(a, b) >= 0,
  and: (...a) => a.find((x) => !truthy(x)) ?? a[a.length - 1],
  or: (...a) => a.find(truthy) ?? a[a.length - 1],
  not: (a) => !truthy(a),
};

function evalArg(a: Arg, dot: unknown, vars: Vars): unknown {
  switch (a.k) {
    case "lit":
      return a.v;
    case "pipe":
      return evalPipe(a.pipe, dot, vars);
    case "fn":
      return FUNCS[a.name]!();
    case "field": {
      let base = dot;
      if (a.base !== ".") {
        if (!vars.has(a.base)) throw new TemplateError(`template: undefined variable "${a.base}"`);
        base = vars.get(a.base);
      }
      return field(base, a.path);
    }
  }
}

function evalPipe(p: Pipe, dot: unknown, vars: Vars): unknown {
  let prev: unknown;
  let first = true;
  for (const cmd of p.cmds) {
    const [head, ...rest] = cmd;
    const args = rest.map((x) => evalArg(x, dot, vars));
    if (!first) args.push(prev);
    if (head!.k === "fn") prev = FUNCS[head!.name]!(...args);
    else if (args.length) throw new TemplateError(`template: can't give argument to non-function`);
    else prev = evalArg(head!, dot, vars);
    first = false;
  }
  if (p.decl.length === 1) vars.set(p.decl[0]!, prev);
  return prev;
}

function exec(nodes: Node[], dot: unknown, vars: Vars): string {
  let out = "";
  for (const n of nodes) {
    if (n.t === "text") out += n.s;
    else if (n.t === "action") {
      const v = evalPipe(n.pipe, dot, vars);
      if (!n.pipe.decl.length) out += goString(v);
    } else if (n.t === "if") out += exec(truthy(evalPipe(n.pipe, dot, vars)) ? n.body : n.alt, dot, new Map(vars));
    else if (n.t === "with") {
      const v = evalPipe(n.pipe, dot, vars);
      out += truthy(v) ? exec(n.body, v, new Map(vars)) : exec(n.alt, dot, new Map(vars));
    } else {
      const { decl, cmds } = n.pipe;
      const v = evalPipe({ decl: [], cmds }, dot, vars);
      const entries: [unknown, unknown][] = Array.isArray(v)
        ? v.map((x, i) => [i, x])
        : v && typeof v === "object"
          ? Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]])
          : v === null || v === undefined || v === NO_VALUE
            ? []
            : (() => {
                throw new TemplateError(`template: range can't iterate over ${goString(v)}`);
              })();
      if (!entries.length) out += exec(n.alt, dot, new Map(vars));
      for (const [k, x] of entries) {
        const inner = new Map(vars);
        if (decl.length === 1) inner.set(decl[0]!, x);
        if (decl.length === 2) {
          inner.set(decl[0]!, k);
          inner.set(decl[1]!, x);
        }
        out += exec(n.body, x, inner);
      }
    }
  }
  return out;
}

/** Renders one value with a template; `$` is the value itself. */
export function renderTemplate(template: string | Node[], data: unknown): string {
  const nodes = typeof template === "string" ? parseTemplate(template) : template;
  return exec(nodes, data, new Map([["$", data]]));
}
