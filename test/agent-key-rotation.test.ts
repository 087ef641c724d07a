import fs from "node:fs";
import path from "node:path";
import { io, type Socket } from "socket.io-client";
import { afterAll, expect, it } from "vitest";
import { startInstance, type Instance } from "./harness.js";

// `npm start -- --rotate-agent-key`: a key that may have leaked is replaced; the old key opens
// nothing, and the host's own worker comes back with the new one.
let b: Instance | undefined;
afterAll(async () => {
  await b?.stop();
});

/** What the /agent namespace answers a client presenting this host id and key. */
function tryAgent(url: string, hostId: string, key: string): Promise<string> {
  const s: Socket = io(`${url}/agent`, { reconnection: false, transports: ["websocket"], auth: { hostId, key } });
  return new Promise<string>((resolve) => {
    s.once("connect", () => resolve("connected"));
    s.once("connect_error", (err: Error) => resolve(err.message));
  }).finally(() => s.close());
}

it("--rotate-agent-key replaces the key: the old one is refused, the worker serves with the new one", async () => {
  const first = await startInstance();
  const keyFile = path.join(first.home, "agent.key");
  const oldKey = fs.readFileSync(keyFile, "utf8").trim();
  const hostId = fs.readFileSync(path.join(first.home, "host-id"), "utf8").trim();
  await first.stop({ keepHome: true });

  b = await startInstance({ home: first.home, args: ["--rotate-agent-key"] });
  const newKey = fs.readFileSync(keyFile, "utf8").trim();
  expect(newKey).not.toBe(oldKey);
  expect(newKey.length).toBeGreaterThanOrEqual(32);
  expect(b.logs()).toContain("rotated the agent key");

  // The worker is linked with the new key: exec (which goes through the link) works.
  const r = await b.berth(["run", "-d", "--name", "keyed", "busybox", "sleep", "300"]);
  expect(r.code).toBe(0);
  let out = "";
  for (let i = 0; i < 100 && out !== "linked"; i++) {
    out = (await b.berth(["exec", "keyed", "echo", "linked"])).stdout.trim();
    if (out !== "linked") await new Promise((res) => setTimeout(res, 200));
  }
  expect(out).toBe("linked");
  // The old key opens nothing, not even for an unused host id.
  expect(await tryAgent(b.url, `${hostId}-x`, oldKey)).toBe("unauthorized");
  expect((await b.berth(["rm", "-f", "keyed"])).code).toBe(0);
}, 240_000);
