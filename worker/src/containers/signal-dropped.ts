import { readFileSync } from "node:fs";

/**
 * True when the kernel dropped `signal` sent to `pid`, the init (PID 1) of its pid namespace: such
 * a process gets no signal it neither catches nor blocks (the default action does not apply to a
 * namespace's init), so a stop's grace period could only end in SIGKILL. Read after the signal was
 * sent: a handler installed before the send shows in SigCgt, and one installed later is too late.
 * False when unsure (no /proc entry, not a namespace init, the signal blocked and so kept pending).
 */
export function signalDropped(pid: number, signal: number): boolean {
  if (signal === 9 || signal < 1 || signal > 64) return false;
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return false;
  }
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, "m").exec(status)?.[1]?.trim();
  const nspid = field("NSpid")?.split(/\s+/);
  if (!nspid || nspid.length < 2 || nspid.at(-1) !== "1") return false;
  const has = (name: string) => {
    const mask = field(name);
    return mask === undefined || ((BigInt(`0x${mask}`) >> BigInt(signal - 1)) & 1n) === 1n;
  };
  return !has("SigCgt") && !has("SigBlk") && field("TracerPid") === "0";
}
