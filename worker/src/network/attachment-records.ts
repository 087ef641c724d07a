import fs from "node:fs/promises";
import path from "node:path";
import type { ExtraHost } from "@berth/core";
import type { BoundPort } from "./ports.js";

/**
 * What the network layer knows of a container with endpoints or ports, kept on disk
 * ($BERTH_HOME/network/attached/<id>.json) so that the next worker, after a crash, keeps the
 * endpoints and the port proxy of a container that still runs (see NetworkService.init).
 */
export interface AttachmentRecord {
  id: string;
  name: string;
  teamId?: string;
  dir: string;
  /** The container's PID 1 once it runs: alive at the next start means keep its network. */
  pid?: number;
  mode: "none" | "host" | "bridge";
  /** Network ids, in the order joined (the first gives eth0 and the default route). */
  networks: string[];
  ports: BoundPort[];
  /** The port proxy process serving `ports`. */
  proxy?: number;
  nextIf: number;
  /** `--add-host` lines, "host-gateway" as given (resolved at each write). */
  extraHosts?: ExtraHost[];
}

export class AttachmentRecords {
  constructor(private readonly dir: string) {}

  private file(id: string): string {
    if (!/^[0-9a-f]{1,64}$/.test(id)) throw new Error(`attachment record: malformed container id ${JSON.stringify(id)}`);
    return path.join(this.dir, `${id}.json`);
  }

  async save(a: AttachmentRecord): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    const file = this.file(a.id);
    await fs.writeFile(`${file}.tmp`, JSON.stringify(a));
    await fs.rename(`${file}.tmp`, file);
  }

  async remove(id: string): Promise<void> {
    await fs.rm(this.file(id), { force: true });
  }

  /** Every record (a torn one is skipped: its container cannot be kept). */
  async all(): Promise<AttachmentRecord[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const out: AttachmentRecord[] = [];
    for (const n of names.filter((x) => x.endsWith(".json"))) {
      const rec = await fs.readFile(path.join(this.dir, n), "utf8").then((t) => JSON.parse(t) as AttachmentRecord, () => undefined);
      if (rec) out.push(rec);
    }
    return out;
  }

  async clear(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}
