import fs from "node:fs";
import type { IncomingMessage } from "node:http";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, expect, it } from "vitest";

// uploadsDir() is $BERTH_HOME/builds: a home of this file's own, set before config() first reads it.
const home = fs.mkdtempSync(path.join(os.tmpdir(), "berth-uploads-"));
process.env.BERTH_HOME = home;
const { receiveSmallUpload } = await import("./uploads.js");
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

/** A request body arriving in chunks of `chunk` bytes. */
function body(data: Buffer, chunk: number, fail?: Error): IncomingMessage {
  const s = new PassThrough();
  void (async () => {
    for (let i = 0; i < data.length; i += chunk) {
      s.write(data.subarray(i, i + chunk));
      await new Promise((r) => setImmediate(r));
    }
    if (fail) s.destroy(fail);
    else s.end();
  })();
  return s as unknown as IncomingMessage;
}

const bytes = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => i % 251));

it("keeps a body up to the limit in memory, and spills a larger one whole to a file", async () => {
  const small = bytes(1000);
  expect(await receiveSmallUpload(body(small, 100), "the upload", 1000)).toEqual({ inline: small });

  const big = bytes(5000);
  const r = await receiveSmallUpload(body(big, 300), "the upload", 1000);
  expect("file" in r).toBe(true);
  if (!("file" in r)) return;
  expect(path.dirname(r.file)).toBe(path.join(home, "builds"));
  expect(fs.readFileSync(r.file).equals(big)).toBe(true);
  fs.rmSync(r.file);
});

it("names the upload when the body breaks off, and leaves no file behind", async () => {
  const cut = new Error("aborted");
  await expect(receiveSmallUpload(body(bytes(500), 100, cut), "the build context upload", 1000)).rejects.toThrow(/the build context upload did not complete: aborted/);
  await expect(receiveSmallUpload(body(bytes(5000), 300, cut), "the build context upload", 1000)).rejects.toThrow(/the build context upload did not complete: aborted/);
  expect(fs.readdirSync(path.join(home, "builds"))).toEqual([]);
});
