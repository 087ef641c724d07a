/**
 * Helpers for this folder's unit tests: a real migrated SQLite file (the schema the worker
 * runs against) and hand-made tar bytes (so tests can build hostile archives no packer writes).
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Header } from "tar";
import { createDb, type PrismaClient } from "@berth/core/db";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** Creates and migrates an SQLite database at `file`. */
export async function migratedDb(file: string): Promise<PrismaClient> {
  const url = `file:${file}`;
  await promisify(execFile)(process.execPath, [path.join(ROOT, "node_modules/prisma/build/index.js"), "migrate", "deploy"], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: url },
  });
  return createDb(url);
}

export interface RawEntry {
  path: string;
  type?: "File" | "Directory" | "SymbolicLink" | "Link" | "CharacterDevice" | "FIFO";
  body?: string | Buffer;
  linkpath?: string;
  mode?: number;
}

/** Tar bytes written entry by entry, exactly as given. */
export function rawTar(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = typeof e.body === "string" ? Buffer.from(e.body) : (e.body ?? Buffer.alloc(0));
    const h = new Header({ path: e.path, type: e.type ?? "File", size: body.length, mode: e.mode ?? (e.type === "Directory" ? 0o755 : 0o644), uid: 0, gid: 0, mtime: new Date(0), linkpath: e.linkpath ?? "" });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    blocks.push(block, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
