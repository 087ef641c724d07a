/**
 * Tells in-process caches when rows of the tables they cache may have changed: every SQL
 * statement of the process's Prisma client passes through a thin wrapper of the driver adapter,
 * which calls a table's listeners after a write to it runs and again when the transaction that
 * held the write commits or rolls back. Seeing the SQL (not the Prisma model calls) makes it
 * exact for every writer in the process, raw SQL, transactions and future code included; only
 * a cascade from a parent row is invisible, so a cache watches the parents too.
 */
import type { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";

type Adapter = Awaited<ReturnType<PrismaBetterSQLite3["connect"]>>;
type Transaction = Awaited<ReturnType<Adapter["startTransaction"]>>;
type Query = Parameters<Adapter["queryRaw"]>[0];
/** What PrismaClient takes as `adapter`. */
export type AdapterFactory = Pick<PrismaBetterSQLite3, "provider" | "adapterName" | "connect">;

interface Watch {
  /** Matches a statement that names one of the watched tables. */
  names: RegExp;
  fn: () => void;
}

const watches = new Set<Watch>();
const WRITE = /^\s*(?:insert|update|delete|replace)\b/i;

/**
 * Calls `fn` (synchronously) whenever a statement writes to one of `tables` (exact names,
 * any quoting): once when the statement has run, and once more when its transaction ends.
 * Over-calling is possible (a write whose SQL merely mentions the name), missing one is not.
 * Returns the function that stops watching.
 */
export function onTableWrite(tables: readonly string[], fn: () => void): () => void {
  const alternatives = tables.map((t) => t.replace(/[^A-Za-z0-9_]/g, "")).join("|");
  const w: Watch = { names: new RegExp(`(?:^|[^A-Za-z0-9_$])(?:${alternatives})(?:[^A-Za-z0-9_$]|$)`, "i"), fn };
  watches.add(w);
  return () => void watches.delete(w);
}

/** The watches a statement concerns: none for a read (nearly every statement). */
function touched(sql: string): Watch[] | undefined {
  if (watches.size === 0 || !WRITE.test(sql)) return undefined;
  let out: Watch[] | undefined;
  for (const w of watches) if (w.names.test(sql)) (out ??= []).push(w);
  return out;
}

function notify(ws: Iterable<Watch>): void {
  for (const w of ws) w.fn();
}

/** Runs a statement; a write to a watched table notifies its watchers after it ran (failed or not), and `pending` remembers it for the transaction's end. */
async function run<T>(q: Query, exec: () => Promise<T>, pending?: Set<Watch>): Promise<T> {
  const ws = touched(q.sql);
  if (!ws) return exec();
  for (const w of ws) pending?.add(w);
  try {
    return await exec();
  } finally {
    notify(ws);
  }
}

function watchTransaction(tx: Transaction): Transaction {
  const pending = new Set<Watch>();
  // The end of the transaction makes its writes visible (or undoes them): tell the watchers again.
  const end = async (fn: () => Promise<void>) => {
    try {
      await fn();
    } finally {
      notify(pending);
      pending.clear();
    }
  };
  return {
    get provider() {
      return tx.provider;
    },
    get adapterName() {
      return tx.adapterName;
    },
    get options() {
      return tx.options;
    },
    queryRaw: (q) => run(q, () => tx.queryRaw(q), pending),
    executeRaw: (q) => run(q, () => tx.executeRaw(q), pending),
    commit: () => end(() => tx.commit()),
    rollback: () => end(() => tx.rollback()),
  };
}

function watchAdapter(a: Adapter): Adapter {
  const out: Adapter = {
    get provider() {
      return a.provider;
    },
    get adapterName() {
      return a.adapterName;
    },
    queryRaw: (q) => run(q, () => a.queryRaw(q)),
    executeRaw: (q) => run(q, () => a.executeRaw(q)),
    // A script (migrations) may write anything: every watcher hears of it.
    executeScript: (script) => a.executeScript(script).finally(() => notify(watches)),
    startTransaction: async (level) => watchTransaction(await a.startTransaction(level)),
    dispose: () => a.dispose(),
  };
  if (a.getConnectionInfo) out.getConnectionInfo = () => a.getConnectionInfo!();
  return out;
}

/** The adapter factory with every connection it makes watched. */
export function watchWrites(factory: PrismaBetterSQLite3): AdapterFactory {
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => watchAdapter(await factory.connect()),
  };
}
