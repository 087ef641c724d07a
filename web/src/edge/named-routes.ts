/**
 * Named routes: a route name (a branch preview today, an environment tomorrow) → its current
 * upstream, kept in $BERTH_HOME/edge/routes.json. The deployer (web) changes one route with
 * write-then-rename under a lock file; the edge reloads the file when it changes, swaps its
 * table in one step and answers in edge/served.json with the generation it now serves and the
 * old upstreams still finishing requests. A switch is: write, wait until the edge serves that
 * generation, wait until the old upstream has drained, then remove it. The file outlives web
 * and the edge: either restarts and the routes are still there.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { EdgeRoutesFile, EdgeServedFile, FailedPrecondition, edgeRoutesPath, edgeServedPath, type NamedRoute } from "@berth/core";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const EMPTY: EdgeRoutesFile = { generation: 0, routes: {} };
/** A lock older than this was left by a writer that died: routes are written in milliseconds. */
const STALE_LOCK_MS = 10_000;

/** The routes file as it is on disk (none yet: generation 0, no routes). */
export async function readRoutesFile(home: string): Promise<EdgeRoutesFile> {
  let text: string;
  try {
    text = await fs.readFile(edgeRoutesPath(home), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return EMPTY;
    throw err;
  }
  const parsed = EdgeRoutesFile.safeParse(JSON.parse(text));
  if (!parsed.success) throw new FailedPrecondition(`${edgeRoutesPath(home)} is not a routes file: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data;
}

/** Writes `data` as JSON to `file` so a reader sees the old or the new whole file, never a part. */
export async function writeJsonAtomic(file: string, data: unknown): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const fh = await fs.open(tmp, "w", 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(data)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, file);
}

/** Runs `fn` holding edge/routes.lock (a file made with O_EXCL): writers in any process take turns. */
async function withLock<T>(home: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${edgeRoutesPath(home)}.lock`;
  await fs.mkdir(path.dirname(lock), { recursive: true, mode: 0o700 });
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      const fh = await fs.open(lock, "wx", 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const st = await fs.stat(lock).catch(() => null);
      if (st && Date.now() - st.mtimeMs > STALE_LOCK_MS) await fs.rm(lock, { force: true });
      if (Date.now() > until) throw new FailedPrecondition(`the edge's routes file is locked by ${lock}: remove it if no Berth process is writing routes`);
      await sleep(10);
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lock, { force: true });
  }
}

/** Sets (or with null removes) one named route; returns the generation that carries the change. */
export async function setNamedRoute(home: string, name: string, route: NamedRoute | null): Promise<number> {
  return withLock(home, async () => {
    const cur = await readRoutesFile(home);
    const routes = { ...cur.routes };
    if (route) routes[name] = route;
    else delete routes[name];
    const next: EdgeRoutesFile = { generation: cur.generation + 1, routes };
    await writeJsonAtomic(edgeRoutesPath(home), next);
    return next.generation;
  });
}

/**
 * Changes one named route in place under the lock (a deploy's switch in between is not undone);
 * nothing when the route does not exist. Returns the generation that carries it, or null.
 */
export async function updateNamedRoute(home: string, name: string, change: (route: NamedRoute) => NamedRoute): Promise<number | null> {
  return withLock(home, async () => {
    const cur = await readRoutesFile(home);
    const route = cur.routes[name];
    if (!route) return null;
    const next: EdgeRoutesFile = { generation: cur.generation + 1, routes: { ...cur.routes, [name]: change(route) } };
    await writeJsonAtomic(edgeRoutesPath(home), next);
    return next.generation;
  });
}

export async function readServed(home: string): Promise<EdgeServedFile | null> {
  try {
    const parsed = EdgeServedFile.safeParse(JSON.parse(await fs.readFile(edgeServedPath(home), "utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Whether `pid` is a live process (the edge that wrote served.json). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface SwitchOutcome {
  /** The edge confirmed it serves the new generation (false: no edge answered in time). */
  served: boolean;
  /** The old upstream finished its in-flight requests (true when there was none). */
  drained: boolean;
}

/**
 * Points `name` at `route` (null: removes it), then waits until the edge serves the change and
 * `old` (the previous upstreams' container ids) have no request left in flight, so the caller can
 * remove them without failing a request. With no live edge there is nothing to wait for.
 */
export async function switchNamedRoute(home: string, name: string, route: NamedRoute | null, o: { old?: string | string[]; confirmMs?: number; drainMs?: number } = {}): Promise<SwitchOutcome> {
  const olds = typeof o.old === "string" ? [o.old] : (o.old ?? []);
  const generation = await setNamedRoute(home, name, route);
  const confirmUntil = Date.now() + (o.confirmMs ?? 5_000);
  let served: EdgeServedFile | null = null;
  for (;;) {
    served = await readServed(home);
    if (served && served.generation >= generation) break;
    if (!served || !alive(served.pid) || Date.now() > confirmUntil) return { served: false, drained: !olds.length };
    await sleep(10);
  }
  if (!olds.length) return { served: true, drained: true };
  const drainUntil = Date.now() + (o.drainMs ?? 30_000);
  while (served && served.generation >= generation && olds.some((id) => (served!.draining[id] ?? 0) > 0)) {
    if (Date.now() > drainUntil) return { served: true, drained: false };
    await sleep(20);
    served = await readServed(home);
  }
  return { served: true, drained: true };
}
