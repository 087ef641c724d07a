import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import { FailedPrecondition, InvalidArgument, type ContainerTopResult } from "@berth/core";

/** Host pids in the same pid namespace as `pid` (the container's init): its processes and exec sessions. */
export async function pidsInNamespaceOf(pid: number): Promise<number[]> {
  const ns = await fs.readlink(`/proc/${pid}/ns/pid`).catch(() => undefined);
  if (!ns) return [];
  const out: number[] = [];
  for (const name of await fs.readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const other = await fs.readlink(`/proc/${name}/ns/pid`).catch(() => undefined);
    if (other === ns) out.push(Number(name));
  }
  return out.sort((a, b) => a - b);
}

const CLK_TCK = 100;

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
async function statFields(pid: number): Promise<string[] | undefined> {
  const text = await fs.readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (!text) return undefined;
  return text.slice(text.lastIndexOf(")") + 2).trim().split(/\s+/);
}

function ttyName(ttyNr: number): string {
  if (ttyNr === 0) return "?";
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 256 + minor}`;
  if (major === 4) return `tty${minor}`;
  return "?";
}

function cpuTime(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  const hms = [h, m, s].map((n) => String(n).padStart(2, "0")).join(":");
  return d ? `${d}-${hms}` : hms;
}

function startTime(started: Date, now: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  if (now.getTime() - started.getTime() < 24 * 3600 * 1000) return `${pad(started.getHours())}:${pad(started.getMinutes())}`;
  return started.toLocaleString("en-US", { month: "short" }) + pad(started.getDate());
}

async function userNames(): Promise<Map<number, string>> {
  const passwd = await fs.readFile("/etc/passwd", "utf8").catch(() => "");
  const m = new Map<number, string>();
  for (const line of passwd.split("\n")) {
    const f = line.split(":");
    if (f.length > 2 && !m.has(Number(f[2]))) m.set(Number(f[2]), f[0]!);
  }
  return m;
}

/** Docker's default `top` columns (as `ps -ef` prints them), read from /proc. */
export async function defaultTop(pids: number[]): Promise<ContainerTopResult> {
  const uptime = Number((await fs.readFile("/proc/uptime", "utf8")).split(" ")[0]);
  const bootMs = Date.now() - uptime * 1000;
  const names = await userNames();
  const now = new Date();
  const processes: string[][] = [];
  for (const pid of pids) {
    const f = await statFields(pid);
    const status = await fs.readFile(`/proc/${pid}/status`, "utf8").catch(() => undefined);
    if (!f || !status) continue; // gone meanwhile
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    // stat fields from field 3 on: state=0 ppid=1 … tty_nr=4 … utime=11 stime=12 … starttime=19
    const ppid = f[1]!;
    const cpuSec = (Number(f[11]) + Number(f[12])) / CLK_TCK;
    const startedMs = bootMs + (Number(f[19]) / CLK_TCK) * 1000;
    const elapsed = Math.max(0.001, (Date.now() - startedMs) / 1000);
    const cmdline = (await fs.readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0").filter(Boolean).join(" ");
    const comm = (await fs.readFile(`/proc/${pid}/comm`, "utf8").catch(() => "")).trim();
    processes.push([
      names.get(uid) ?? String(uid),
      String(pid),
      ppid,
      String(Math.floor((cpuSec / elapsed) * 100)),
      startTime(new Date(startedMs), now),
      ttyName(Number(f[4])),
      cpuTime(cpuSec),
      cmdline || `[${comm}]`,
    ]);
  }
  return { titles: ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"], processes };
}

/** `top C OPTIONS`: the host's ps with those options, rows kept for the container's pids (as Docker does). */
export async function psTop(pids: number[], psArgs: string[]): Promise<ContainerTopResult> {
  for (const a of psArgs) if (a.includes("\0")) throw new InvalidArgument("ps options must not contain NUL");
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile("ps", psArgs, { maxBuffer: 16 * 1024 * 1024 }, (err, out, errOut) => {
      if (err) reject(new InvalidArgument(`ps ${psArgs.join(" ")} failed: ${(errOut || err.message).trim()}`));
      else resolve(out);
    });
  });
  const lines = stdout.split("\n").filter((l) => l.trim() !== "");
  const titles = (lines[0] ?? "").trim().split(/\s+/);
  const pidCol = titles.indexOf("PID");
  if (pidCol < 0) throw new FailedPrecondition(`Couldn't find PID field in ps output: use ps options that print a PID column`);
  const want = new Set(pids.map(String));
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    const row = [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(" ")];
    if (want.has(row[pidCol] ?? "")) processes.push(row);
  }
  return { titles, processes };
}
