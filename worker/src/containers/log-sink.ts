import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { encodeLogEntry, LOG_STREAM_MAXLEN, LOG_STREAM_TTL_SECONDS, logStreamKey, type LogEntry } from "@berth/core";
import type { Redis } from "@berth/core/redis";

/**
 * Where a container's output goes: `log.jsonl` in Docker's json-file format (the durable copy)
 * and the container's Redis stream (what live readers follow). Lines of one pipe keep their order;
 * ioredis sends commands of one connection in order, so XADDs land in the order written.
 */
export class LogSink {
  private readonly file: WriteStream;
  private readonly key: string;
  private pending: Promise<unknown> = Promise.resolve();
  private failed: unknown;

  constructor(
    private readonly redis: Redis,
    containerId: string,
    logPath: string,
  ) {
    mkdirSync(path.dirname(logPath), { recursive: true });
    this.file = createWriteStream(logPath, { flags: "a", mode: 0o640 });
    this.file.on("error", (e) => {
      this.failed ??= e;
    });
    this.key = logStreamKey(containerId);
  }

  private add(entry: LogEntry): void {
    const p = this.redis.xadd(this.key, "MAXLEN", "~", String(LOG_STREAM_MAXLEN), "*", ...encodeLogEntry(entry));
    this.pending = p.catch((e: unknown) => {
      this.failed ??= e;
    });
  }

  line(stream: "stdout" | "stderr", line: string): void {
    const time = new Date().toISOString();
    this.file.write(`${JSON.stringify({ log: `${line}\n`, stream, time })}\n`);
    this.add({ stream, line, time });
  }

  /** Splits a pipe into lines; a last line without "\n" is still delivered at EOF. */
  follow(stream: "stdout" | "stderr", source: Readable): Promise<void> {
    return new Promise((resolve, reject) => {
      let rest = "";
      source.setEncoding("utf8");
      source.on("data", (chunk: string) => {
        const parts = (rest + chunk).split("\n");
        rest = parts.pop() ?? "";
        for (const l of parts) this.line(stream, l);
      });
      source.once("end", () => {
        if (rest) this.line(stream, rest);
        resolve();
      });
      source.once("error", reject);
    });
  }

  /** Writes the final entry and lets the stream expire; resolves once Redis has everything. */
  async exit(exitCode: number | null, error?: string): Promise<void> {
    this.add({ stream: "exit", exitCode, time: new Date().toISOString(), ...(error ? { error } : {}) });
    await this.pending;
    await this.redis.expire(this.key, LOG_STREAM_TTL_SECONDS);
    await new Promise<void>((resolve) => this.file.end(resolve));
    if (this.failed) throw this.failed;
  }
}
