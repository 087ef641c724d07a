import fs from "node:fs/promises";
import path from "node:path";

export interface EndpointRecord {
  containerId: string;
  containerName: string;
  /** The container's team (on the shared default bridge, a team sees only its own endpoints). */
  teamId?: string;
  endpointId: string;
  ip: string;
  mac: string;
  aliases: string[];
  /** The veth's host end, and its name inside the container. */
  hostIfname: string;
  ifname: string;
}

export interface NetworkRecord {
  id: string;
  name: string;
  driver: "bridge";
  subnet: string;
  gateway: string;
  bridge: string;
  created: string;
  labels: Record<string, string>;
  /** The default `bridge` network: no name resolution, cannot be removed, shared by every team. */
  builtin: boolean;
  /**
   * The owning team: only it sees the network (names are unique within a team). null: the shared
   * default bridge. Absent: stored before teams, given to the first admin's team at load.
   */
  teamId?: string | null;
  endpoints: Record<string, EndpointRecord>;
}

interface Persisted {
  networks: NetworkRecord[];
  /** Counters for host-unique link names. */
  nextBridge: number;
  nextVeth: number;
}

/** This host's networks, kept in $BERTH_HOME/network/networks.json (write-then-rename). */
export class NetworkStore {
  private data: Persisted = { networks: [], nextBridge: 0, nextVeth: 0 };
  constructor(private readonly file: string) {}

  async load(): Promise<void> {
    try {
      this.data = JSON.parse(await fs.readFile(this.file, "utf8")) as Persisted;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }

  async save(): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await fs.writeFile(`${this.file}.tmp`, JSON.stringify(this.data, null, 1));
    await fs.rename(`${this.file}.tmp`, this.file);
  }

  get networks(): NetworkRecord[] {
    return this.data.networks;
  }

  add(n: NetworkRecord): void {
    this.data.networks.push(n);
  }

  delete(id: string): void {
    this.data.networks = this.data.networks.filter((n) => n.id !== id);
  }

  nextBridgeIndex(): number {
    return this.data.nextBridge++;
  }

  nextVethIndex(): number {
    return this.data.nextVeth++;
  }
}
