import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { expect, it } from "vitest";
import { useInstance } from "./harness.js";

// A database another process keeps locked: the answer says so, and no container is left running
// that the database could not record (one truth for DB, kernel and network).
// A short busy timeout keeps the test short: better-sqlite3 waits synchronously, so every write
// queued behind the lock (heartbeats too) stalls the worker for that long.
const b = useInstance({ env: { BERTH_DB_BUSY_TIMEOUT_MS: "2000" } });

/** Processes on this machine whose cgroup names the container. */
function processesOf(id: string): number[] {
  const pids: number[] = [];
  for (const p of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (fs.readFileSync(`/proc/${p}/cgroup`, "utf8").includes(id)) pids.push(Number(p));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

it("under a held write lock, writes and starts say 'database busy' and leave no process behind", async () => {
  const created = await b.berth(["create", "--name", "locked", "busybox", "sleep", "1000"]);
  expect(created.code).toBe(0);
  const id = created.stdout.trim();

  // Another process holds the write lock for 15 s, well past the busy timeout.
  const holder = new Database(path.join(b.home, "berth.db"));
  holder.exec("BEGIN IMMEDIATE");
  const released = new Promise<void>((resolve) =>
    setTimeout(() => {
      holder.exec("COMMIT");
      holder.close();
      resolve();
    }, 15_000),
  );
  try {
    const start = b.berth(["start", "locked"], { timeoutMs: 90_000 });
    const other = await b.berth(["create", "--name", "meanwhile", "busybox", "true"], { timeoutMs: 60_000 });
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain("database busy");
    expect(other.stderr).not.toMatch(/internal error|unknown error/i);
    const s = await start;
    expect(s.code).not.toBe(0);
    expect(s.stderr).toContain("database busy");
  } finally {
    await released;
  }
  expect(processesOf(id)).toEqual([]);
  expect((await b.berth(["rm", "-f", "locked"])).code).toBe(0);
  expect(processesOf(id)).toEqual([]);
}, 120_000);

it("a container whose start the database refuses to record is killed, not left running", async () => {
  // The held lock of the test before failed the worker's heartbeats: wait until it is seen again.
  for (let i = 0; i < 150; i++) {
    const h = (await (await fetch(`${b.url}/api/health`)).json()) as { hostsOnline?: number };
    if ((h.hostsOnline ?? 0) > 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const created = await b.berth(["create", "--name", "unrecorded", "busybox", "sleep", "1000"]);
  expect(created.code).toBe(0);
  const id = created.stdout.trim();
  // A real write failure at exactly the write that records "running" (as a full disk or a lock would fail it).
  const db = new Database(path.join(b.home, "berth.db"));
  db.exec(`CREATE TRIGGER refuse_running BEFORE UPDATE OF state ON Container WHEN NEW.state = 'running' AND NEW.id = '${id}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`);
  try {
    const s = await b.berth(["start", "unrecorded"], { timeoutMs: 60_000 });
    expect(s.code).not.toBe(0);
    expect(s.stderr).toContain("could not be recorded as running");
    expect(processesOf(id)).toEqual([]);
    const st = await b.berth(["inspect", "-f", "{{.State.Status}}", "unrecorded"]);
    if (st.code === 0) expect(st.stdout.trim()).toBe("exited");
  } finally {
    db.exec("DROP TRIGGER refuse_running");
    db.close();
  }
  expect((await b.berth(["rm", "-f", "unrecorded"])).code).toBe(0);
  expect(processesOf(id)).toEqual([]);
}, 120_000);

it("`run -d` whose start the database refuses to record fails, and its process is killed", async () => {
  const db = new Database(path.join(b.home, "berth.db"));
  // By name: the id is made by the run itself.
  db.exec(`CREATE TRIGGER refuse_run BEFORE UPDATE OF state ON Container WHEN NEW.state = 'running' AND NEW.name = 'run-unrecorded' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`);
  try {
    const r = await b.berth(["run", "-d", "--name", "run-unrecorded", "busybox", "sleep", "1000"], { timeoutMs: 60_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("could not be recorded as running");
    expect(r.stderr).not.toMatch(/internal error|unknown error/i);
    const rows = db.prepare(`SELECT id, state FROM Container WHERE name = 'run-unrecorded'`).all() as { id: string; state: string }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]!.state).not.toBe("running");
    expect(processesOf(rows[0]!.id)).toEqual([]);
  } finally {
    db.exec("DROP TRIGGER refuse_run");
    db.close();
  }
  expect((await b.berth(["rm", "-f", "run-unrecorded"])).code).toBe(0);
}, 120_000);
