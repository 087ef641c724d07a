import Anser from "anser";
import type { CSSProperties, ReactNode } from "react";

/** Anser's class names → colours; CSS variables let a theme override them. */
const COLORS: Record<string, string> = {
  black: "#4d4d4d",
  red: "#e5534b",
  green: "#57ab5a",
  yellow: "#c69026",
  blue: "#539bf5",
  magenta: "#b083f0",
  cyan: "#39c5cf",
  white: "#c5d1de",
  "bright-black": "#768390",
  "bright-red": "#ff938a",
  "bright-green": "#6bc46d",
  "bright-yellow": "#daaa3f",
  "bright-blue": "#6cb6ff",
  "bright-magenta": "#dcbdfb",
  "bright-cyan": "#56d4dd",
  "bright-white": "#cdd9e5",
};

function color(cls: string | null | undefined, truecolor: string | null | undefined): string | undefined {
  if (truecolor) return `rgb(${truecolor})`;
  if (!cls) return undefined;
  if (cls.startsWith("ansi-palette-")) return undefined; // 256-colour palette: rare, shown plain
  const name = cls.replace(/^ansi-/, "").replace(/-fg$|-bg$/, "");
  const c = COLORS[name];
  return c ? `var(--ansi-${name}, ${c})` : undefined;
}

/** Marks each case-insensitive occurrence of `needle` in `text`. */
function highlight(text: string, needle: string, key: string): ReactNode {
  if (!needle) return text;
  const lower = text.toLowerCase();
  const out: ReactNode[] = [];
  let from = 0;
  for (let at = lower.indexOf(needle); at >= 0; at = lower.indexOf(needle, at + needle.length)) {
    if (at > from) out.push(text.slice(from, at));
    out.push(
      <mark key={`${key}-${at}`} className="log-match">
        {text.slice(at, at + needle.length)}
      </mark>,
    );
    from = at + needle.length;
  }
  if (!out.length) return text;
  if (from < text.length) out.push(text.slice(from));
  return out;
}

/** One line's text as spans: ANSI SGR colours and styles, other escapes dropped, matches marked. */
export function renderAnsi(text: string, needle: string): ReactNode {
  if (!text.includes("\u001b")) return highlight(text, needle, "p");
  const parts = Anser.ansiToJson(text, { json: true, remove_empty: true, use_classes: true });
  return parts.map((p, k) => {
    const style: CSSProperties = {};
    const fg = color(p.fg, p.fg_truecolor);
    const bg = color(p.bg, p.bg_truecolor);
    if (fg) style.color = fg;
    if (bg) style.backgroundColor = bg;
    const d = p.decorations ?? [];
    if (d.includes("bold")) style.fontWeight = 700;
    if (d.includes("dim")) style.opacity = 0.7;
    if (d.includes("italic")) style.fontStyle = "italic";
    if (d.includes("underline")) style.textDecoration = "underline";
    if (d.includes("strikethrough")) style.textDecoration = "line-through";
    return (
      <span key={k} style={style}>
        {highlight(p.content, needle, String(k))}
      </span>
    );
  });
}
