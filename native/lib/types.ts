/** What to run and where: the container's root is an overlay mounted inside its own mount namespace. */
export interface RunSpec {
  /** Existing empty dir on the host; the overlay is mounted here INSIDE the container's own mount namespace. */
  rootfs: string;
  /** Read-only image layers, topmost first (overlay lowerdir order), at least one. */
  lowerdirs: string[];
  /** The container's writable layer (existing dir). */
  upperdir: string;
  /** Overlay workdir (existing empty dir, same filesystem as upperdir). */
  workdir: string;
  /** argv; args[0] without '/' is looked up in the PATH found in env (default PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin). */
  args: string[];
  /** "KEY=VALUE" */
  env: string[];
  /** Working directory inside the container, e.g. "/". */
  cwd: string;
  hostname: string;
  uid: number;
  gid: number;
}

/** A running container. stdout/stderr: read ends of pipes (O_CLOEXEC), owned by the caller. */
export interface Spawned {
  pid: number;
  stdout: number;
  stderr: number;
}

/** How the container's init ended: exitCode if it exited, signal if it was killed. */
export interface WaitResult {
  exitCode: number | null;
  signal: number | null;
}

/**
 * Where a native call failed. spawnContainer: 'clone', 'mount-private', 'overlay', 'proc',
 * 'dev', 'sys', 'pivot_root', 'network', 'hostname', 'user', 'cwd', 'exec';
 * waitContainer: 'wait'; killContainer: 'kill'.
 */
export type Stage =
  | 'clone'
  | 'mount-private'
  | 'overlay'
  | 'proc'
  | 'dev'
  | 'sys'
  | 'pivot_root'
  | 'network'
  | 'hostname'
  | 'user'
  | 'cwd'
  | 'exec'
  | 'wait'
  | 'kill';

/** Fields of a NativeError, shaped like Node's fs errors. */
export interface NativeErrorFields {
  /** errno name, e.g. 'ENOENT'. */
  code: string;
  /** Negative errno, as in Node's fs errors (util.getSystemErrorName(errno) === code). */
  errno: number;
  /** Failed syscall, e.g. 'mount', 'execve'. */
  syscall: string;
  path?: string;
  stage: string;
}
