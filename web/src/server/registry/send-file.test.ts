import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendFileSpan } from "./send-file.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("sendFileSpan", () => {
  let dir: string;
  let file: string;
  let data: Buffer;
  let server: http.Server;
  let port: number;
  const failures: unknown[] = [];

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "send-file-"));
    file = path.join(dir, "blob");
    // Several buffers' worth plus an odd tail, so reused buffers and a short last read both happen.
    data = randomBytes((5 << 20) + 12345);
    await fs.writeFile(file, data);
    server = http.createServer((req, res) => {
      const u = new URL(req.url ?? "/", "http://x");
      const start = Number(u.searchParams.get("start") ?? 0);
      const end = Number(u.searchParams.get("end") ?? data.length - 1);
      res.writeHead(200, { "content-length": end - start + 1 });
      sendFileSpan(res, file, start, end).catch((e: unknown) => failures.push(e));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await fs.rm(dir, { recursive: true, force: true });
  });

  const get = (q: string) => fetch(`http://127.0.0.1:${port}/?${q}`).then(async (r) => Buffer.from(await r.arrayBuffer()));

  it("sends the whole file and any span of it, byte for byte, also many at once", async () => {
    expect(sha(await get(""))).toBe(sha(data));
    expect((await get("start=3&end=3")).equals(data.subarray(3, 4))).toBe(true);
    const spans = [
      [0, (1 << 20) - 1],
      [1, (2 << 20) + 7],
      [(3 << 20) + 5, data.length - 1],
    ] as const;
    for (const [s, e] of spans) expect((await get(`start=${s}&end=${e}`)).equals(data.subarray(s, e + 1))).toBe(true);
    // Concurrent answers share the buffer pool: none may see another's bytes.
    const all = await Promise.all(Array.from({ length: 6 }, () => get("")));
    for (const b of all) expect(sha(b)).toBe(sha(data));
    expect(failures).toEqual([]);
  });

  it("stops at a client that goes away mid-answer, and the next answers are intact", async () => {
    await new Promise<void>((resolve, reject) => {
      const req = http.get({ host: "127.0.0.1", port, path: "/" }, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", (e: NodeJS.ErrnoException) => (e.code === "ECONNRESET" ? resolve() : reject(e)));
    });
    await expect.poll(() => failures.length).toBe(1);
    expect((failures[0] as NodeJS.ErrnoException).code).toBe("ERR_STREAM_PREMATURE_CLOSE");
    for (const b of await Promise.all([get(""), get("")])) expect(sha(b)).toBe(sha(data));
  });
});
