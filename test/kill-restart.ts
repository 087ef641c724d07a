/**
 * kill -9 of an instance's web or worker, then the wait for the launcher to have started it
 * again: the release watch and edge tests use it to show that nothing in flight is lost.
 */
import { pidOf, type Instance } from "./harness.js";
import { until } from "./poll.js";

export const WEB_SCRIPT = "web/dist/server.js";
export const WORKER_SCRIPT = "worker/dist/main.js";

/** Web answers /api/health and sees a worker host online (the agent link is back too). */
export async function webHealthy(b: Pick<Instance, "url">): Promise<boolean> {
  try {
    const res = await fetch(`${b.url}/api/health`, { signal: AbortSignal.timeout(1_000) });
    return res.ok && (((await res.json()) as { hostsOnline?: number }).hostsOnline ?? 0) > 0;
  } catch {
    return false;
  }
}

/** kill -9 of the instance's process running `script`; resolves once another one runs it and web is healthy. */
export async function killAndWait(b: Pick<Instance, "url" | "home">, script: typeof WEB_SCRIPT | typeof WORKER_SCRIPT): Promise<void> {
  const pid = pidOf(b.home, script);
  if (pid === null) throw new Error(`no process of the instance runs ${script}`);
  process.kill(pid, "SIGKILL");
  await until(`${script} to be back`, async () => (pidOf(b.home, script) ?? pid) !== pid && (await webHealthy(b)), 90_000);
}

/** kill -9 of web; resolves once the launcher has started it again and it answers. */
export const killWeb = (b: Pick<Instance, "url" | "home">) => killAndWait(b, WEB_SCRIPT);
