/**
 * The subset of Go's text/template that docker's `--format` flags use: `{{.Field}}`,
 * `{{json .}}`, `{{json .Field}}`, `{{.Label "key"}}`, `{{upper|lower .Field}}`, a `table`
 * prefix (a header row from the field names, columns aligned as docker's tabwriter does), `json`
 * alone for `{{json .}}`, and `\t` / `\n` escapes. Reusable by any list command (ps, images, …).
 */
import { table } from "./format.js";

/** A row: fields by name; `Label` resolves `{{.Label "k"}}`. */
export type TemplateRow = Record<string, unknown> & { Label?: (key: string) => string };

type Part = { text: string } | { fn?: string; field?: string; arg?: string };

export class TemplateError extends Error {}

function parse(format: string): Part[] {
  const parts: Part[] = [];
  let rest = format;
  while (rest.length) {
    const open = rest.indexOf("{{");
    if (open < 0) {
      parts.push({ text: rest });
      break;
    }
    if (open > 0) parts.push({ text: rest.slice(0, open) });
    const close = rest.indexOf("}}", open);
    if (close < 0) throw new TemplateError(`template: unclosed action in "${format}"`);
    parts.push(parseAction(rest.slice(open + 2, close).replace(/^-\s*|\s*-$/g, "").trim()));
    rest = rest.slice(close + 2);
  }
  return parts;
}

function parseAction(a: string): Part {
  let m = /^\.([A-Za-z][A-Za-z0-9]*)$/.exec(a);
  if (m) return { field: m[1]! };
  if (a === ".") return { field: "." };
  m = /^\.Label\s+"([^"]*)"$/.exec(a);
  if (m) return { fn: "label", arg: m[1]! };
  m = /^(json|upper|lower)\s+\.([A-Za-z][A-Za-z0-9]*)?$/.exec(a);
  if (m) return { fn: m[1]!, field: m[2] ?? "." };
  const fn = /^([A-Za-z]\w*)/.exec(a)?.[1];
  if (fn && !a.startsWith(".")) throw new TemplateError(`template: function "${fn}" not defined`);
  throw new TemplateError(`template: cannot evaluate "{{${a}}}": use {{.Field}}, {{json .}} or {{.Label "key"}}`);
}

function value(row: TemplateRow, field: string): unknown {
  if (field === ".") return Object.fromEntries(Object.entries(row).filter(([, v]) => typeof v !== "function"));
  if (!(field in row)) throw new TemplateError(`template: can't evaluate field ${field}`);
  return row[field];
}

function render(parts: Part[], row: TemplateRow): string {
  return parts
    .map((p) => {
      if ("text" in p) return p.text;
      switch (p.fn) {
        case "label":
          return row.Label?.(p.arg!) ?? "";
        case "json":
          return JSON.stringify(value(row, p.field!));
        case "upper":
          return String(value(row, p.field!)).toUpperCase();
        case "lower":
          return String(value(row, p.field!)).toLowerCase();
        default:
          return String(value(row, p.field!));
      }
    })
    .join("");
}

/**
 * Renders `rows` with a docker `--format` string. `headers` names each field's column for the
 * `table` form (e.g. ID → "CONTAINER ID").
 */
export function formatRows(format: string, rows: TemplateRow[], headers: Record<string, string>): string {
  let f = format === "json" ? "{{json .}}" : format;
  const isTable = /^table(\s|$)/.test(f);
  if (isTable) f = f.replace(/^table\s*/, "");
  f = f.replace(/\\t/g, "\t").replace(/\\n/g, "\n");
  const parts = parse(f);
  if (!isTable) return rows.map((r) => render(parts, r) + "\n").join("");
  const head = parts.map((p) => {
    if ("text" in p) return p.text;
    if (p.fn === "label") return p.arg!.toUpperCase();
    if (p.field === ".") return "";
    return headers[p.field!] ?? p.field!.toUpperCase();
  });
  const split = (line: string) => line.split("\t");
  return table(split(head.join("")), rows.map((r) => split(render(parts, r))));
}
