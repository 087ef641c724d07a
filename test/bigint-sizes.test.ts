/**
 * Byte sizes past 2^31 (issue 13: sizes as BigInt, so PostgreSQL's 32-bit int cannot overflow).
 * An image row and a registry blob of 5 GiB + 1 byte (written straight into the database; the
 * blob's file is sparse, so nothing writes 5 GiB) come back with the exact number from every
 * reader: `berth images` (tRPC), `berth image inspect` (a worker job, JSON through Redis), the
 * registry's HEAD Content-Length, and a cross-repository mount (which reads the blob's row).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createDb, type PrismaClient } from "@berth/core/db";
import { useInstance } from "./harness.js";
import { req, sha256, token, type Creds } from "./registry-helpers.js";

const BIG = 5n * 1024n ** 3n + 1n; // 5,368,709,121 bytes: past 2^32 too

const b = useInstance();
let db: PrismaClient;
let work: string;
beforeAll(() => {
  db = createDb(`file:${path.join(b.home, "berth.db")}`);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-bigint-"));
});
afterAll(async () => {
  await db?.$disconnect();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

it("an image of 5 GiB: `images` and `image inspect` show its exact size", async () => {
  fs.writeFileSync(path.join(work, "Dockerfile"), "FROM busybox\nLABEL size=big\n");
  const built = await b.berth(["build", "-q", "-t", "big:1", work], { timeoutMs: 120_000 });
  expect(built.code, built.stdout + built.stderr).toBe(0);
  const before = await b.berth(["image", "inspect", "big:1"]);
  expect(before.code, before.stderr).toBe(0);
  const id = (JSON.parse(before.stdout) as { Id: string }[])[0]!.Id;
  await db.image.update({ where: { id }, data: { size: BIG } });

  const inspect = await b.berth(["image", "inspect", "big:1"]);
  expect(inspect.code, inspect.stderr).toBe(0);
  const [img] = JSON.parse(inspect.stdout) as { Size: number; VirtualSize: number }[];
  expect(img!.Size).toBe(Number(BIG));
  expect(img!.VirtualSize).toBe(Number(BIG));

  const list = await b.berth(["images"]);
  expect(list.code, list.stderr).toBe(0);
  const row = list.stdout.split("\n").find((l) => l.startsWith("big "));
  expect(row, list.stdout).toMatch(/\s5\.37GB\s*$/);
}, 180_000);

it("a registry blob of 5 GiB: HEAD answers its exact Content-Length, and a mount into another repository keeps it", async () => {
  const admin: Creds = { user: "admin", pass: b.token };
  const t = await token(b.url, ["repository:admin/big:pull,push", "repository:admin/big-copy:pull,push"], admin);
  expect(t.status).toBe(200);
  const data = Buffer.from("the first bytes of a big layer\n");
  const digest = sha256(data);
  const put = await req(b.url, "POST", `/v2/admin/big/blobs/uploads/?digest=${digest}`, { token: t.token, body: data, headers: { "content-type": "application/octet-stream" } });
  expect(put.status).toBe(201);
  // As if the blob were 5 GiB: a sparse file (no disk used) and the row's size.
  fs.truncateSync(path.join(b.home, "content", "blobs", "sha256", digest.slice(7)), Number(BIG));
  const repo = await db.repository.findUniqueOrThrow({ where: { name: "admin/big" } });
  await db.repoBlob.update({ where: { repositoryId_digest: { repositoryId: repo.id, digest } }, data: { size: BIG } });

  const head = await req(b.url, "HEAD", `/v2/admin/big/blobs/${digest}`, { token: t.token });
  expect(head.status).toBe(200);
  expect(head.headers.get("content-length")).toBe(BIG.toString());

  const mount = await req(b.url, "POST", `/v2/admin/big-copy/blobs/uploads/?mount=${digest}&from=admin/big`, { token: t.token });
  expect(mount.status).toBe(201);
  const copy = await db.repository.findUniqueOrThrow({ where: { name: "admin/big-copy" }, include: { blobs: true } });
  expect(copy.blobs.map((x) => x.size)).toEqual([BIG]);
  const copyHead = await req(b.url, "HEAD", `/v2/admin/big-copy/blobs/${digest}`, { token: t.token });
  expect(copyHead.headers.get("content-length")).toBe(BIG.toString());
}, 120_000);
