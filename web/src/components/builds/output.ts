/** The CLI's build output (`Step N/M : …`, ` ---> CACHED`, ` ---> id (1.2s)`) as classed lines. */
export type OutLine = { text: string; kind: "step" | "cached" | "done" | "out" | "info" };

export function classify(line: string): OutLine["kind"] {
  if (/^Step \S+\/\d+ : /.test(line) || line.startsWith(" ---> Trigger: ")) return "step";
  if (line === " ---> CACHED") return "cached";
  if (/^ ---> \S+ \([\d.]+\s*m?s\)$/.test(line)) return "done";
  if (/^Successfully (built|tagged) /.test(line)) return "info";
  return "out";
}

/** Splits streamed text into lines; the last, unfinished one stays in `rest`. */
export function splitLines(rest: string, text: string): { lines: string[]; rest: string } {
  const all = (rest + text).split("\n");
  return { lines: all.slice(0, -1), rest: all.at(-1) ?? "" };
}

/** The failing step of a failed build: the last step header, and the Dockerfile line the error names. */
export function failingStep(lines: OutLine[], message: string): { step?: string; line?: number } {
  const step = [...lines].reverse().find((l) => l.kind === "step")?.text;
  const m = /Dockerfile line (\d+)/.exec(message);
  return { ...(step ? { step } : {}), ...(m ? { line: Number(m[1]) } : {}) };
}
