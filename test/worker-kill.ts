import fs from "node:fs";
import { expect } from "vitest";
import { pidOf, type Instance } from "./harness.js";
import { until } from "./poll.js";

/** kill -9 of the instance's worker; resolves once it is gone (or a zombie). Its pid, for workerBack. */
export async function killWorker(b: Instance): Promise<number> {
  const worker = pidOf(b.home, "worker/dist/main.js");
  expect(worker, "the instance's worker").not.toBeNull();
  process.kill(worker!, "SIGKILL");
  await until("the worker to be gone", () => gone(worker!));
  return worker!;
}

/** No such process any more, or a zombie (reaped between two reads counts as gone too). */
function gone(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.startsWith("Z");
  } catch {
    return true;
  }
}

/** Until the launcher's new worker (not `old`) is ready: web sees the host and `ps` answers. */
export async function workerBack(b: Instance, old: number): Promise<void> {
  await until("a new worker that is ready", async () => {
    const now = pidOf(b.home, "worker/dist/main.js");
    if (now === null || now === old) return false;
    const health = (await (await fetch(`${b.url}/api/health`)).json()) as { hostsOnline?: number };
    return (health.hostsOnline ?? 0) > 0 && (await b.berth(["ps", "-q"])).code === 0;
  }, 90_000);
}
