/** The parts of `container.inspect` (Docker's inspect JSON) the detail page shows. */
export interface Inspect {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: { Status: string; Running: boolean; Paused: boolean; OOMKilled: boolean; Pid: number; ExitCode: number; Error: string; StartedAt: string; FinishedAt: string };
  Image: string;
  Name: string;
  RestartCount: number;
  HostConfig: {
    Memory: number;
    NanoCpus: number;
    PidsLimit: number | null;
    ReadonlyRootfs: boolean;
    AutoRemove: boolean;
    RestartPolicy: { Name: string; MaximumRetryCount: number };
    NetworkMode?: string;
    CapAdd: string[] | null;
    CapDrop: string[] | null;
  };
  Config: { Hostname: string; User: string; Tty: boolean; Env: string[] | null; Cmd: string[] | null; Image: string; WorkingDir: string; Entrypoint: string[] | null; Labels: Record<string, string> };
  NetworkSettings?: {
    Ports?: Record<string, { HostIp: string; HostPort: string }[] | null>;
    Networks?: Record<string, { IPAddress?: string; Gateway?: string; MacAddress?: string; Aliases?: string[] | null }>;
  };
  Mounts?: { Type: string; Name?: string; Source: string; Destination: string; Mode?: string; RW: boolean }[];
}

const ZERO = "0001-01-01T00:00:00Z";
export const isSet = (t: string | undefined) => !!t && t !== ZERO;
