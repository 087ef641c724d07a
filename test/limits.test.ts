import { afterAll, beforeAll, expect, it } from "vitest";
import { startInstance, type Instance } from "./harness.js";
import { trpc } from "./trpc.js";

// `berth run`'s resource and security flags, end to end: CLI → API → worker → runtime.
let b: Instance;
beforeAll(async () => {
  b = await startInstance();
});
afterAll(async () => {
  await b?.stop();
});

const capEff = (out: string) => /CapEff:\s*([0-9a-f]+)/.exec(out)?.[1];

it("gives a container Docker's default capabilities, and --cap-add / --cap-drop change them", async () => {
  const def = await b.berth(["run", "--rm", "busybox", "grep", "CapEff", "/proc/self/status"]);
  expect(capEff(def.stdout)).toBe("00000000a80425fb");
  const none = await b.berth(["run", "--rm", "--cap-drop", "ALL", "busybox", "grep", "CapEff", "/proc/self/status"]);
  expect(capEff(none.stdout)).toBe("0000000000000000");
  const more = await b.berth(["run", "--rm", "--cap-add", "NET_ADMIN", "busybox", "grep", "CapEff", "/proc/self/status"]);
  expect(BigInt(`0x${capEff(more.stdout)}`) & (1n << 12n)).toBe(1n << 12n); // CAP_NET_ADMIN = 12
});

it("runs as the user -u names, with no_new_privs", async () => {
  const r = await b.berth(["run", "--rm", "-u", "1000:1000", "busybox", "sh", "-c", "id -u; id -g; grep NoNewPrivs /proc/self/status"]);
  expect(r.stdout).toMatch(/^1000\n1000\nNoNewPrivs:\s*1\n$/);
  const unknown = await b.berth(["run", "--rm", "-u", "nobody-here", "busybox", "true"]);
  expect(unknown.code).toBe(125);
  expect(unknown.stderr).toMatch(/unable to find user nobody-here/);
});

it("--read-only makes the root filesystem read-only", async () => {
  const r = await b.berth(["run", "--rm", "--read-only", "busybox", "touch", "/x"]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/Read-only file system/);
});

it("kills a memory hog under --memory, exits 137 and records OOMKilled", async () => {
  const r = await b.berth(["run", "--name", "hog", "-m", "16m", "--memory-swap", "16m", "busybox", "sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived"], { timeoutMs: 60_000 });
  expect(r.code).toBe(137);
  expect(r.stdout).not.toContain("survived");
  const c = await trpc<{ state: string; exitCode: number; oomKilled: boolean }>(b.url, b.token, "container.byId", { id: "hog" });
  expect(c.data).toMatchObject({ state: "exited", exitCode: 137, oomKilled: true });
  // The host and other containers go on.
  expect((await b.berth(["run", "--rm", "busybox", "echo", "fine"])).stdout).toBe("fine\n");
});

it("stops a fork bomb at --pids-limit", async () => {
  const r = await b.berth(["run", "--rm", "--pids-limit", "10", "busybox", "sh", "-c", "for i in $(seq 1 40); do sleep 2 & done; ls -d /proc/[0-9]* | wc -l"], { timeoutMs: 60_000 });
  expect(Number(r.stdout.trim())).toBeLessThanOrEqual(10);
  expect(r.stderr).toMatch(/fork|Resource temporarily unavailable/i);
});

it("--init puts an init at PID 1 that runs the command and passes its exit code on", async () => {
  const r = await b.berth(["run", "--rm", "--init", "busybox", "sh", "-c", "echo $$; exit 7"]);
  expect(r.code).toBe(7);
  expect(Number(r.stdout.trim())).toBeGreaterThan(1);
});

it("refuses bad flag values with the flag's name", async () => {
  const r = await b.berth(["run", "--rm", "-m", "lots", "busybox", "true"]);
  expect(r.code).toBe(125);
  expect(r.stderr).toMatch(/--memory/);
});
