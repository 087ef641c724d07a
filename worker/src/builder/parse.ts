import { DockerfileParser } from "dockerfile-ast";
import { InvalidArgument } from "@berth/core";

/** One Dockerfile instruction as the builder executes it. */
export interface Instruction {
  keyword: string;
  /** 1-based line of the instruction in the Dockerfile. */
  line: number;
  /** Arguments with line continuations joined and flags removed, unexpanded. */
  text: string;
  /** `--name=value` flags. */
  flags: Record<string, string>;
  /** For exec-form (JSON array) arguments: the parsed array. */
  json?: string[];
  /** The whole instruction as written (normalised whitespace): history `created_by` and cache key. */
  source: string;
}

export interface Stage {
  index: number;
  name?: string;
  from: Instruction;
  steps: Instruction[];
}

export interface ParsedDockerfile {
  /** ARGs before the first FROM. */
  globalArgs: Instruction[];
  stages: Stage[];
}

const KNOWN = new Set([
  "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER",
  "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
]);
/** Instructions whose arguments may be a JSON array (exec form). */
const JSON_FORM = new Set(["RUN", "CMD", "ENTRYPOINT", "SHELL", "VOLUME", "COPY", "ADD", "HEALTHCHECK"]);
const NEEDS_ARGS = new Set([...KNOWN].filter((k) => k !== "CMD" && k !== "ENTRYPOINT"));

const syntax = (line: number, msg: string) => new InvalidArgument(`Dockerfile line ${line}: ${msg}`);

/**
 * The offending word of a line, for an error: only when it looks like an instruction word. A
 * "Dockerfile" that is really some other file (a key, a config) must not come back in the error.
 */
const word = (w: string) => (/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(w) ? `"${w}"` : "(not an instruction word)");

/** Parses a Dockerfile; a syntax error names the line. */
export function parseDockerfile(content: string): ParsedDockerfile {
  const df = DockerfileParser.parse(content);
  const out: ParsedDockerfile = { globalArgs: [], stages: [] };
  for (const ins of df.getInstructions()) {
    const keyword = ins.getKeyword().toUpperCase();
    const line = ins.getRange().start.line + 1;
    if (!KNOWN.has(keyword)) throw syntax(line, `unknown instruction: ${word(ins.getKeyword())}`);
    const flags: Record<string, string> = {};
    const getFlags = (ins as unknown as { getFlags?: () => { getName(): string; getValue(): string | null }[] }).getFlags;
    if (getFlags) for (const f of getFlags.call(ins)) flags[f.getName()] = f.getValue() ?? "true";
    const text = (ins.getArgumentsContent() ?? "").trim();
    if (!text && NEEDS_ARGS.has(keyword)) throw syntax(line, `${keyword} requires at least one argument`);
    const parsed: Instruction = { keyword, line, text, flags, source: `${keyword} ${Object.entries(flags).map(([k, v]) => `--${k}=${v} `).join("")}${text}`.trim() };
    if (JSON_FORM.has(keyword) && text.startsWith("[")) {
      const arr = parseJsonArray(text);
      if (arr) parsed.json = arr;
      else if (keyword !== "RUN" && keyword !== "CMD" && keyword !== "ENTRYPOINT" && keyword !== "VOLUME") throw syntax(line, `${keyword}: malformed JSON array`);
    }
    if (keyword === "FROM") {
      const words = splitWords(text);
      if (words.length !== 1 && !(words.length === 3 && words[1]!.toUpperCase() === "AS")) throw syntax(line, `FROM takes IMAGE [AS NAME], got ${words.length} words`);
      const name = words.length === 3 ? words[2]!.toLowerCase() : undefined;
      if (name && !/^[a-z][a-z0-9._-]*$/.test(name)) throw syntax(line, `invalid stage name ${word(words[2]!)}`);
      if (name && out.stages.some((s) => s.name === name)) throw syntax(line, `duplicate stage name "${name}"`);
      out.stages.push({ index: out.stages.length, ...(name ? { name } : {}), from: parsed, steps: [] });
      continue;
    }
    const stage = out.stages.at(-1);
    if (!stage) {
      if (keyword !== "ARG") throw syntax(line, `${keyword} before FROM: a Dockerfile must start with FROM (ARG may come first)`);
      out.globalArgs.push(parsed);
      continue;
    }
    if (keyword === "ONBUILD") {
      const inner = splitWords(text)[0]?.toUpperCase() ?? "";
      if (!KNOWN.has(inner) || inner === "ONBUILD" || inner === "FROM" || inner === "MAINTAINER") throw syntax(line, `ONBUILD: ${word(inner)} is not allowed as a trigger`);
    }
    stage.steps.push(parsed);
  }
  if (out.stages.length === 0) throw new InvalidArgument("the Dockerfile has no FROM instruction");
  return out;
}

function parseJsonArray(text: string): string[] | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  } catch {
    /* shell form */
  }
  return undefined;
}

/** Variables available for expansion: a lookup returning undefined for unset names. */
export type Vars = (name: string) => string | undefined;

/**
 * Splits on unquoted whitespace, removing quotes and backslash escapes (Docker's word rules);
 * with `vars`, expands $VAR, ${VAR}, ${VAR:-default} and ${VAR:+alt} outside single quotes.
 */
export function splitWords(s: string, vars?: Vars): string[] {
  const out: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "$" && vars && quote !== "'") {
      const r = expandAt(s, i, vars);
      if (r) {
        cur += r.value;
        inWord = true;
        i = r.end - 1;
        continue;
      }
    }
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/** Expands variables in a string without splitting it (WORKDIR, USER, values). */
export function expand(s: string, vars: Vars): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "$") {
      const r = expandAt(s, i, vars);
      if (r) {
        out += r.value;
        i = r.end - 1;
        continue;
      }
    }
    if (s[i] === "\\" && s[i + 1] === "$") {
      out += "$";
      i++;
      continue;
    }
    out += s[i];
  }
  return out;
}

function expandAt(s: string, i: number, vars: Vars): { value: string; end: number } | undefined {
  if (s[i + 1] === "{") {
    const close = s.indexOf("}", i + 2);
    if (close < 0) return undefined;
    const body = s.slice(i + 2, close);
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([\s\S]*))?$/.exec(body);
    if (!m) return undefined;
    const v = vars(m[1]!);
    let value = v ?? "";
    if (m[2] === "-") value = v ? v : expand(m[3]!, vars);
    else if (m[2] === "+") value = v ? expand(m[3]!, vars) : "";
    return { value, end: close + 1 };
  }
  const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i + 1));
  if (!m) return undefined;
  return { value: vars(m[0]) ?? "", end: i + 1 + m[0].length };
}

/**
 * KEY=VALUE pairs (ENV, LABEL, ARG); also the legacy `ENV KEY VALUE` form when allowed.
 * Values keep what quotes enclose.
 */
export function parseKeyValues(text: string, legacy: boolean, vars?: Vars): [string, string][] {
  const first = /^\s*(\S+)/.exec(text)?.[1] ?? "";
  if (legacy && first && !first.includes("=")) {
    const m = /^\s*(\S+)\s+([\s\S]*)$/.exec(text);
    if (!m) return [[first, ""]];
    return [[m[1]!, splitWords(m[2]!, vars).join(" ")]];
  }
  const words = splitWords(text, vars);
  return words.map((w) => {
    const eq = w.indexOf("=");
    if (eq <= 0) throw new InvalidArgument(`"${w}": expected KEY=VALUE`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}
