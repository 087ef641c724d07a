// Types of release-fixture.mjs (see there).

export interface ReleaseProject {
  name: string;
  workingDir: string;
  services: Record<string, Record<string, unknown> & { name: string }>;
  networks: Record<string, unknown>;
  volumes: Record<string, unknown>;
  warnings: string[];
}

export function releaseProject(services: Record<string, Record<string, unknown>>, volumes?: Record<string, unknown>): ReleaseProject;

export interface WriteRelease {
  environmentId: string;
  number: number;
  /** `{ service: "sha256:..." }` */
  images: Record<string, string>;
  project: ReleaseProject;
  /** Plain values, sealed here with `seal`. */
  config?: Record<string, { value: string; secret?: boolean }>;
  seal: (context: string, value: string) => string;
  health: object;
  releaseCommand?: string | null;
  /** Default: the number repeated to 40 characters; null: no commit. */
  sha?: string | null;
  reason?: string;
  createdByName?: string;
}

// `db`: a PrismaClient (any client with release.create).
export function writeRelease(db: { release: { create(args: never): Promise<unknown> } }, o: WriteRelease): Promise<{ id: string; number: number }>;
