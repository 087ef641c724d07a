// Times whole commands interleaved (A B C, A B C, …) after a warm-up, so drift on a shared,
// noisy machine hits every command alike; prints medians and ratios to the first (baseline).
import { spawnSync } from "node:child_process";

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** commands: [{ name, cmd: [file, ...args], env? }]; the first is the baseline of the ratios. */
export function compare(commands, { warmup = 3, runs = 20 } = {}) {
  const times = new Map(commands.map((c) => [c.name, []]));
  const once = (c) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(c.cmd[0], c.cmd.slice(1), { env: { ...process.env, ...c.env }, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${c.name} failed (exit ${r.status}): ${r.stderr || r.stdout}`);
    return ms;
  };
  for (let i = 0; i < warmup; i++) for (const c of commands) once(c);
  for (let i = 0; i < runs; i++) for (const c of commands) times.get(c.name).push(once(c));
  const base = median(times.get(commands[0].name));
  const rows = commands.map((c) => {
    const m = median(times.get(c.name));
    return { name: c.name, median_ms: +m.toFixed(1), min_ms: +Math.min(...times.get(c.name)).toFixed(1), ratio_to_baseline: +(m / base).toFixed(2) };
  });
  console.table(rows);
  return rows;
}
