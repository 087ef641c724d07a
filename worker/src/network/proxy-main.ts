import { relay, type Mapping, type Relay } from "./relay.js";

/**
 * The port proxy of one container (Docker's docker-proxy, one process for all of a container's
 * published ports): `node proxy-main.js <marker> <host id> <container id> <target ip> <mappings json>`.
 * Its own session, started by the worker and not its child in spirit: it runs on while no worker
 * does (a crash, a restart), so the ports keep answering; the worker that releases the container
 * kills it. It tells its starter over the IPC channel what it bound (or the bind error), then
 * drops the channel: nothing ties it to that worker any more.
 */
export interface ProxyReport {
  ports?: number[];
  error?: { index: number; code?: string; message: string };
}

async function main(): Promise<void> {
  const [, , , , , target, spec] = process.argv;
  const mappings = JSON.parse(spec ?? "[]") as Mapping[];
  const relays: Relay[] = [];
  const report = (r: ProxyReport) => new Promise<void>((resolve) => (process.send ? process.send(r, () => resolve()) : resolve()));
  for (const [index, m] of mappings.entries()) {
    try {
      relays.push(await relay(m, target!));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      await report({ error: { index, ...(err.code ? { code: err.code } : {}), message: err.message } });
      process.exit(1);
    }
  }
  await report({ ports: relays.map((r) => r.hostPort) });
  process.disconnect?.();
  const stop = () => void Promise.all(relays.map((r) => r.close())).finally(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // A worker's terminal going away must not end the ports.
  process.on("SIGHUP", () => undefined);
}

void main();
