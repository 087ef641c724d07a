/**
 * The part of web's tRPC API the CLI uses, written down as the contract the CLI was built
 * against. client.ts assigns `createTRPCClient<AppRouter>` (from `@berth/web/router`) to
 * `TrpcProcedures`, so if the server's shapes drift from these, the CLI stops compiling.
 * The wrappers below are the only place the CLI calls procedures.
 */
import type { LogEntry } from "@berth/core";

export type { LogEntry };

export interface ImageSummary {
  /** "sha256:<hex>" */
  id: string;
  /** "busybox:latest", "registry:5000/team/app:1.2" */
  tags: string[];
  size: number;
  createdAt: string;
}

export type ContainerState = "created" | "running" | "exited";

export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  imageId: string;
  cmd: string[];
  state: ContainerState;
  exitCode: number | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface RunInput {
  image: string;
  cmd?: string[];
  name?: string;
  autoRemove?: boolean;
}

export interface LogsResult {
  entries: LogEntry[];
  done: boolean;
}

export interface Api {
  image: {
    list(): Promise<ImageSummary[]>;
  };
  container: {
    run(input: RunInput): Promise<{ id: string; name: string }>;
    list(input: { all?: boolean }): Promise<ContainerSummary[]>;
    byId(input: { id: string }): Promise<ContainerSummary>;
    logs(input: { id: string; tail?: number }): Promise<LogsResult>;
  };
}

/**
 * The procedures as the tRPC proxy client exposes them. Kept structural so the same
 * wrapper accepts `createTRPCClient<AppRouter>` (checked against the server's types) or
 * an untyped client.
 */
export interface TrpcProcedures {
  image: { list: { query(): Promise<ImageSummary[]> } };
  container: {
    run: { mutate(input: RunInput): Promise<{ id: string; name: string }> };
    list: { query(input: { all?: boolean }): Promise<ContainerSummary[]> };
    byId: { query(input: { id: string }): Promise<ContainerSummary> };
    logs: { query(input: { id: string; tail?: number }): Promise<LogsResult> };
  };
}

export function makeApi(t: TrpcProcedures): Api {
  return {
    image: {
      list: () => t.image.list.query(),
    },
    container: {
      run: (input) => t.container.run.mutate(input),
      list: (input) => t.container.list.query(input),
      byId: (input) => t.container.byId.query(input),
      logs: (input) => t.container.logs.query(input),
    },
  };
}
