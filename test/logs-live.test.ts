import { io } from "socket.io-client";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startInstance, type Instance } from "./harness.js";
import { trpc } from "./trpc.js";

let b: Instance;
beforeAll(async () => {
  b = await startInstance();
});
afterAll(async () => {
  await b?.stop();
});

interface Entry {
  containerId: string;
  entry: { stream: string; line?: string; exitCode?: number | null };
}

it("streams a running container's log lines live and in order over socket.io", async () => {
  const script = "for i in $(seq 1 40); do echo line $i; sleep 0.05; done";
  const started = await trpc<{ id: string }>(b.url, b.token, "container.run", { image: "busybox", cmd: ["sh", "-c", script] }, "mutation");
  expect(started.error).toBeUndefined();
  const id = started.data!.id;

  const socket = io(b.url, { auth: { token: b.token }, transports: ["websocket"] });
  const got: { entry: Entry["entry"]; at: number }[] = [];
  let runningSeen = false;
  const done = new Promise<void>((resolve, reject) => {
    socket.on("connect_error", reject);
    socket.on("logs:error", (e: { message: string }) => reject(new Error(e.message)));
    socket.on("logs:entry", (m: Entry) => {
      if (m.containerId !== id) return;
      got.push({ entry: m.entry, at: Date.now() });
      if (m.entry.stream === "exit") resolve();
    });
  });
  socket.emit("logs:subscribe", { containerId: id, follow: true });
  // While lines arrive, the container is still running: the delivery is live, not a replay at the end.
  const poll = setInterval(async () => {
    const c = await trpc<{ state: string }>(b.url, b.token, "container.byId", { id });
    if (c.data?.state === "running" && got.some((g) => g.entry.stream === "stdout")) runningSeen = true;
  }, 100);
  await done;
  clearInterval(poll);
  socket.close();

  const lines = got.filter((g) => g.entry.stream === "stdout").map((g) => g.entry.line);
  expect(lines).toEqual(Array.from({ length: 40 }, (_, i) => `line ${i + 1}`));
  expect(got.at(-1)!.entry).toMatchObject({ stream: "exit", exitCode: 0 });
  expect(runningSeen).toBe(true);
});
