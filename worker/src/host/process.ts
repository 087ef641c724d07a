import fs from "node:fs/promises";

/** Whether `pid` runs: a zombie has ended (its sockets are closed; a container's PID 1 that is one has exited). */
export async function running(pid: number): Promise<boolean> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  return stat !== "" && !stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
}
