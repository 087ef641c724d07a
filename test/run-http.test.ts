import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInstance, type Instance } from "./harness.js";

// POST /api/v1/containers/run — the attached `berth run` in one request — against a real
// instance: web, Redis, worker, native runtime.
let b: Instance;
beforeAll(async () => {
  b = await startInstance();
});
afterAll(async () => {
  await b?.stop();
});

type Line = { id?: string; name?: string; stream?: "stdout" | "stderr"; data?: string; exitCode?: number | null; error?: string };

/** token null: no Authorization header at all. */
async function post(body: unknown, token: string | null = b.token): Promise<{ status: number; text: string; lines: Line[] }> {
  const res = await fetch(`${b.url}/api/v1/containers/run`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  const lines = res.status === 200 ? text.trimEnd().split("\n").map((l) => JSON.parse(l) as Line) : [];
  return { status: res.status, text, lines };
}

const output = (lines: Line[], stream?: "stdout" | "stderr") =>
  lines
    .filter((l) => l.stream !== undefined && (stream === undefined || l.stream === stream))
    .map((l) => l.data)
    .join("");

/** Polls (no fixed sleeps: the machine may be loaded) until check() holds or the time is up. */
async function eventually(check: () => boolean | Promise<boolean>, ms = 30_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

describe("POST /api/v1/containers/run", () => {
  it("refuses a request without a token (401) and creates nothing", async () => {
    const before = (await b.berth(["ps", "-a", "-q"])).stdout;
    const r = await post({ image: "busybox", cmd: ["true"] }, null);
    expect(r.status).toBe(401);
    expect(JSON.parse(r.text).error.kind).toBe("Unauthenticated");
    expect((await b.berth(["ps", "-a", "-q"])).stdout).toBe(before);
  });

  it("refuses an unknown token (401)", async () => {
    const r = await post({ image: "busybox", cmd: ["true"] }, "berth_not-a-real-token");
    expect(r.status).toBe(401);
  });

  it("refuses a read-only token (403)", async () => {
    const ro = (await b.berth(["token", "create", "--read-only"])).stdout.trim();
    expect(ro).not.toBe("");
    const r = await post({ image: "busybox", cmd: ["true"] }, ro);
    expect(r.status).toBe(403);
    expect(JSON.parse(r.text).error.kind).toBe("PermissionDenied");
  });

  it("streams the id first, then the output in order, then the exit code last", async () => {
    const r = await post({ image: "busybox", cmd: ["seq", "500"], autoRemove: true });
    expect(r.status).toBe(200);
    expect(r.lines[0]!.id).toMatch(/^[0-9a-f]{64}$/);
    expect(r.lines[0]!.name).toMatch(/\S/);
    expect(r.lines.at(-1)).toEqual({ exitCode: 0 });
    expect(r.lines.filter((l) => "exitCode" in l)).toHaveLength(1);
    expect(output(r.lines)).toBe(Array.from({ length: 500 }, (_, i) => `${i + 1}\n`).join(""));
  });

  it("keeps stdout and stderr apart, each in its own order", async () => {
    const r = await post({ image: "busybox", cmd: ["sh", "-c", "echo o1; echo e1 >&2; echo o2; echo e2 >&2"], autoRemove: true });
    expect(r.status).toBe(200);
    expect(output(r.lines, "stdout")).toBe("o1\no2\n");
    expect(output(r.lines, "stderr")).toBe("e1\ne2\n");
    expect(r.lines.at(-1)).toEqual({ exitCode: 0 });
  });

  it("ends with the container's exit code", async () => {
    const r = await post({ image: "busybox", cmd: ["sh", "-c", "echo bye; exit 7"], autoRemove: true });
    expect(output(r.lines)).toBe("bye\n");
    expect(r.lines.at(-1)).toEqual({ exitCode: 7 });
  });

  it("reports a command that cannot start as Docker does (127, with the reason)", async () => {
    const r = await post({ image: "busybox", cmd: ["no-such-command"], autoRemove: true });
    const last = r.lines.at(-1)!;
    expect(last.exitCode).toBe(127);
    expect(last.error).toMatch(/no-such-command/);
  });

  it("answers 404 NotFound for an unknown image, before creating anything", async () => {
    const before = (await b.berth(["ps", "-a", "-q"])).stdout;
    const r = await post({ image: "no-such-image", cmd: ["true"] });
    expect(r.status).toBe(404);
    const err = JSON.parse(r.text).error;
    expect(err.kind).toBe("NotFound");
    expect(err.message).toContain("No such image: no-such-image:latest");
    expect((await b.berth(["ps", "-a", "-q"])).stdout).toBe(before);
  });

  it("answers 400 InvalidArgument for a body that is not a run request", async () => {
    const r = await post({ cmd: ["true"] });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error.message).toMatch(/image/);
    const notJson = await fetch(`${b.url}/api/v1/containers/run`, { method: "POST", headers: { authorization: `Bearer ${b.token}` }, body: "{" });
    expect(notJson.status).toBe(400);
  });

  it("takes POST only", async () => {
    const res = await fetch(`${b.url}/api/v1/containers/run`, { headers: { authorization: `Bearer ${b.token}` } });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });

  it("removes an autoRemove container once it exited (row and directory), and answers only then, as docker run --rm", async () => {
    const r = await post({ image: "busybox", cmd: ["true"], autoRemove: true, name: "http-rm" });
    const id = r.lines[0]!.id!;
    expect(r.lines.at(-1)).toEqual({ exitCode: 0 });
    expect((await b.berth(["ps", "-a"])).stdout).not.toContain("http-rm");
    expect(await eventually(async () => !fs.existsSync(`${b.home}/containers/${id}`))).toBe(true);
  });

  it("keeps a container without autoRemove, exited, with its logs", async () => {
    const r = await post({ image: "busybox", cmd: ["echo", "kept"], name: "http-kept" });
    expect(r.lines.at(-1)).toEqual({ exitCode: 0 });
    const ps = await b.berth(["ps", "-a"]);
    expect(ps.stdout).toMatch(/http-kept/);
    expect(ps.stdout).toMatch(/Exited \(0\)/);
    expect((await b.berth(["logs", "http-kept"])).stdout).toBe("kept\n");
  });
});

describe("berth run (attached) over the streaming route", () => {
  it("exits 125 with one clear line when the server cannot be reached", async () => {
    const r = await b.berth(["run", "--rm", "busybox", "true"], { env: { BERTH_URL: "http://127.0.0.1:9" } });
    expect(r.code).toBe(125);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot connect to the Berth server at http:\/\/127\.0\.0\.1:9/);
  });

  it("exits 1 with the unauthorized message for a refused token", async () => {
    const r = await b.berth(["run", "--rm", "busybox", "true"], { env: { BERTH_TOKEN: "berth_not-a-real-token" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^berth: unauthorized/);
  });

  it("writes a large output completely and in order", async () => {
    const r = await b.berth(["run", "--rm", "busybox", "seq", "20000"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join(""));
  });
});
