/**
 * Build output over socket.io against a real Berth: `build:subscribe {buildId}` gets the same
 * entries, in the same order, as the CLI's HTTP stream — live while the build runs, and the
 * whole backlog for a late subscriber — ending with the final image id; bad and unknown build
 * ids get `build:error` with their kind.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { create as createTar } from "tar";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInstance, type Instance } from "./harness.js";

type BuildEvent = { type: "out"; text: string } | { type: "end"; ok: boolean; id?: string; kind?: string; message?: string };
interface EntryMsg {
  buildId: string;
  entry: BuildEvent;
}
interface ErrorMsg {
  buildId: string;
  kind: string;
  message: string;
}

let b: Instance;
let work: string;
const sockets: Socket[] = [];
beforeAll(async () => {
  b = await startInstance();
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-build-socket-"));
});
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  if (work) fs.rmSync(work, { recursive: true, force: true });
  await b?.stop();
});

async function connect(): Promise<Socket> {
  const socket = io(b.url, { auth: { token: b.token }, transports: ["websocket"] });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
  return socket;
}

/** Subscribes and collects entries until the end entry. */
function collect(socket: Socket, buildId: string): Promise<BuildEvent[]> {
  return new Promise((resolve, reject) => {
    const got: BuildEvent[] = [];
    socket.on("build:entry", (m: EntryMsg) => {
      if (m.buildId !== buildId) return;
      got.push(m.entry);
      if (m.entry.type === "end") resolve(got);
    });
    socket.on("build:error", (m: ErrorMsg) => reject(new Error(`${m.kind}: ${m.message}`)));
    socket.emit("build:subscribe", { buildId });
  });
}

async function contextTar(dockerfile: string): Promise<Buffer> {
  const dir = fs.mkdtempSync(path.join(work, "ctx-"));
  fs.writeFileSync(path.join(dir, "Dockerfile"), dockerfile);
  const file = `${dir}.tar`;
  await createTar({ cwd: dir, file, portable: true }, ["."]);
  return fs.readFileSync(file);
}

/** Starts a build over HTTP; returns its id and the ndjson events the HTTP answer carries. */
async function startBuild(dockerfile: string, tag: string): Promise<{ buildId: string; http: Promise<BuildEvent[]> }> {
  const res = await fetch(`${b.url}/api/builds?t=${encodeURIComponent(tag)}`, {
    method: "POST",
    headers: { authorization: `Bearer ${b.token}`, "content-type": "application/x-tar" },
    body: await contextTar(dockerfile),
  });
  expect(res.status).toBe(200);
  const buildId = res.headers.get("x-build-id")!;
  expect(buildId).toMatch(/^[0-9a-f-]{36}$/);
  const http = res.text().then((t) =>
    t
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as BuildEvent),
  );
  return { buildId, http };
}

describe("build:subscribe", () => {
  it("streams a running build's output live, the same entries the CLI gets, then the image id", async () => {
    const socket = await connect();
    const { buildId, http } = await startBuild("FROM busybox\nRUN echo live-one && sleep 2 && echo live-two\nRUN echo second-step\n", "socket/live:1");
    const at: { one?: number; two?: number } = {};
    socket.on("build:entry", (m: EntryMsg) => {
      if (m.buildId !== buildId || m.entry.type !== "out") return;
      if (m.entry.text.includes("live-one") && !m.entry.text.includes("echo live-one")) at.one ??= Date.now();
      if (m.entry.text.includes("live-two") && !m.entry.text.includes("echo live-one")) at.two ??= Date.now();
    });
    const [viaSocket, viaHttp] = await Promise.all([collect(socket, buildId), http]);
    expect(viaSocket).toEqual(viaHttp);
    const text = viaSocket.map((e) => (e.type === "out" ? e.text : "")).join("");
    expect(text).toMatch(/Step 2\/3 : RUN echo live-one/);
    expect(text).toMatch(/live-one[\s\S]*live-two[\s\S]*second-step/);
    const end = viaSocket.at(-1)!;
    expect(end).toMatchObject({ type: "end", ok: true, id: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    // Live: the RUN's first line arrived while it still slept, well before its second line.
    expect(at.two! - at.one!).toBeGreaterThan(1000);
    const [img] = JSON.parse((await b.berth(["image", "inspect", "socket/live:1"])).stdout);
    expect(img.Id).toBe((end as { id: string }).id);

    // A late subscriber (another socket) gets the whole backlog, identical.
    const late = await connect();
    expect(await collect(late, buildId)).toEqual(viaSocket);
  }, 120_000);

  it("reports a failing build's end with its kind", async () => {
    const socket = await connect();
    const { buildId, http } = await startBuild("FROM busybox\nRUN echo about-to-fail && exit 7\n", "socket/fail:1");
    const [viaSocket, viaHttp] = await Promise.all([collect(socket, buildId), http]);
    expect(viaSocket).toEqual(viaHttp);
    expect(viaSocket.at(-1)).toMatchObject({ type: "end", ok: false });
    expect(viaSocket.map((e) => (e.type === "out" ? e.text : "")).join("")).toMatch(/about-to-fail/);
  }, 120_000);

  it("answers build:error for a bad payload and for an unknown build", async () => {
    const socket = await connect();
    const errors: ErrorMsg[] = [];
    socket.on("build:error", (m: ErrorMsg) => errors.push(m));
    socket.emit("build:subscribe", { buildId: "not-a-uuid" });
    const unknown = "00000000-0000-4000-8000-000000000000";
    socket.emit("build:subscribe", { buildId: unknown });
    const deadline = Date.now() + 30_000;
    while (errors.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(errors).toEqual([
      { buildId: "not-a-uuid", kind: "InvalidArgument", message: expect.stringMatching(/uuid/) },
      { buildId: unknown, kind: "NotFound", message: expect.stringMatching(/No such build/) },
    ]);
  }, 60_000);
});
