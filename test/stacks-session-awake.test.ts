/**
 * An open terminal keeps its stack awake (issue 15: "a stack with no attached terminal, no
 * proxied request and no job for N minutes is frozen"): with a 2 s idle time, a stack with a
 * terminal session open in one of its containers (a teammate's shell, typing or idle) is not
 * frozen however long the session stays quiet, nor while a second client that joined it is still
 * there; once the last client leaves, the stack freezes after its idle time as before.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, expect, it } from "vitest";
import { useInstance } from "./harness.js";

const b = useInstance();
let work: string;
const sockets: Socket[] = [];

async function ok(args: string[]): Promise<string> {
  const r = await b.berth(["--team", "aw", ...args], { timeoutMs: 180_000 });
  expect(r.code, `berth ${args.join(" ")}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

async function until(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const states = async () => (JSON.parse(await ok(["stack", "ps", "-p", "quiet", "--format", "json"])) as { state: string }[]).map((r) => r.state);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function connect(): Promise<Socket> {
  const s = io(b.url, { auth: { token: b.token, team: "aw" }, transports: ["websocket"], reconnection: false });
  sockets.push(s);
  await new Promise<void>((resolve, reject) => {
    s.once("connect", () => resolve());
    s.once("connect_error", reject);
  });
  return s;
}

/** What a client's link to a session shows (pty output), as text. */
function output(s: Socket): { text: () => string } {
  let text = "";
  s.on("exec:data", (m: { data: Uint8Array }) => (text += Buffer.from(m.data).toString("utf8")));
  return { text: () => text };
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-session-awake-"));
  expect((await b.berth(["team", "create", "aw"])).code).toBe(0);
  fs.writeFileSync(path.join(work, "compose.yaml"), `x-berth:\n  freeze_after: 2s\nservices:\n  app:\n    image: busybox\n    command: ["sleep", "3600"]\n  db:\n    image: busybox\n    command: ["sleep", "3600"]\n`);
}, 120_000);
afterAll(() => {
  for (const s of sockets) s.disconnect();
  fs.rmSync(work, { recursive: true, force: true });
});

it("a stack with an open terminal session is not frozen past its idle time; it freezes once the session's last client leaves", async () => {
  await ok(["stack", "-f", path.join(work, "compose.yaml"), "-p", "quiet", "up", "-d"]);
  // Idle for its 2 s, it freezes (as it always did).
  await until("the idle stack to freeze", async () => (await states()).every((s) => s === "frozen"));

  // A teammate opens a terminal in one service (the stack thaws for it), types once, then sits there.
  const alice = await connect();
  const seen = output(alice);
  const open = (await alice.timeout(20_000).emitWithAck("terminal:open", { containerId: "quiet-app-1", cols: 80, rows: 24 })) as { session?: string; error?: string };
  expect(open.error).toBeUndefined();
  alice.emit("exec:stdin", { session: open.session, data: new TextEncoder().encode("echo still-here\n") });
  await until("the shell to answer", async () => seen.text().includes("still-here"), 20_000);
  expect(await states()).toEqual(["running", "running"]);
  // Many sweeps (one a second) with no request, no job and no keystroke, well past 2 s: still awake, both services.
  await sleep(8_000);
  expect(await states()).toEqual(["running", "running"]);
  expect(seen.text()).toContain("still-here");

  // Bob joins the same session by id; Alice leaves: Bob is still attached, so it stays awake.
  const list = (await alice.timeout(10_000).emitWithAck("terminal:list", {})) as { sessions: { id: string }[] };
  const bob = await connect();
  const joined = (await bob.timeout(20_000).emitWithAck("terminal:join", { id: list.sessions[0]!.id })) as { session?: string; error?: string };
  expect(joined.error).toBeUndefined();
  alice.disconnect();
  await sleep(6_000);
  expect(await states()).toEqual(["running", "running"]);

  // The last client goes: the stack freezes after its idle time, counted from then.
  bob.disconnect();
  await until("the stack to freeze once nobody is attached", async () => (await states()).every((s) => s === "frozen"), 30_000);
  await ok(["stack", "down", "-p", "quiet"]);
}, 300_000);
