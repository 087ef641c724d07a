import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "@berth/core";
import type { ContentStore } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import type { Caller } from "./auth.js";
import type { BlobDurability } from "./durability.js";
import type { FailureLimiter } from "./token.js";
import type { Uploads } from "./uploads.js";
import type { VolumeBytes } from "../teams/disk.js";

/** What every /v2/ handler works with (one per web process). */
export interface RegistryDeps {
  db: PrismaClient;
  store: ContentStore;
  uploads: Uploads;
  /** When pushed blobs reach the disk (a manifest waits for its blobs'). */
  durability: BlobDurability;
  key: Buffer;
  log: Logger;
  limiter: FailureLimiter;
  /** A team's volume bytes, for its disk quota (measured by the workers). */
  volumeBytes: VolumeBytes;
}

/** One request: its caller is identified before any handler runs. */
export interface RegistryRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  caller: Caller;
  head: boolean;
}
