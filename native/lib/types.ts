/** What to run and where: the container's root is an overlay mounted inside its own mount namespace. */
export interface RunSpec {
  /** Existing empty dir on the host; the overlay is mounted here INSIDE the container's own mount namespace. */
  rootfs: string;
  /** Read-only image layers, topmost first (overlay lowerdir order), 1 to 500 (the kernel's overlayfs maximum). */
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

  // Everything below is optional; the defaults are Docker's.

  /** Supplementary groups (default: none). */
  additionalGids?: number[];
  /** Capabilities added to / dropped from Docker's default 14 ("NET_ADMIN", "CAP_SYS_PTRACE", "ALL"). */
  capAdd?: string[];
  capDrop?: string[];
  /** PR_SET_NO_NEW_PRIVS (default true): setuid binaries and file capabilities grant nothing. */
  noNewPrivileges?: boolean;
  /** 'default' (Docker's policy; denied syscalls fail with EPERM) or 'unconfined'. */
  seccomp?: 'default' | 'unconfined';
  /** Mount the root read-only (/dev, /dev/shm, /proc and binds keep their own modes). */
  readonlyRootfs?: boolean;
  /** Host paths bind-mounted (recursively, nodev) into the container, in order. */
  binds?: BindMount[];
  /** tmpfs mounts (nosuid, nodev, noexec unless `exec`), after the binds. */
  tmpfs?: TmpfsMount[];
  /** Override Docker's masked paths (files get /dev/null, directories an empty read-only tmpfs). */
  maskedPaths?: string[];
  /** Override Docker's read-only paths (/proc/bus, /proc/fs, /proc/irq, /proc/sys, /proc/sysrq-trigger). */
  readonlyPaths?: string[];
  /** Put the container in this cgroup (created if needed) with these limits. */
  cgroup?: CgroupSpec;
  /** A pty as stdin/stdout/stderr and controlling terminal; spawnContainer then returns `{ pid, pty }`. */
  tty?: boolean;
  /** Initial pty size. */
  ttySize?: { cols: number; rows: number };
  /** Pipes mode: stdin is a pipe (Spawned.stdin) instead of /dev/null. */
  openStdin?: boolean;
  /** PID 1 is a minimal init that forks the command, forwards signals and reaps zombies (docker --init). */
  init?: boolean;
  /**
   * The container's parent is a detached berth-shim serving `<dir>/shim.sock` (see shimOpen), not
   * this process: the container outlives it, and is never reaped here (waitContainer does not apply).
   */
  shim?: { dir: string };
  /** Run in a new user namespace with these id maps (written by the parent before the child goes on). */
  userns?: { uidMap: IdMapping[]; gidMap: IdMapping[] };
  /** Network namespace: 'none' (only lo; the default), 'host', or 'bridge' with a veth (see network.ts). */
  network?: import('./network.js').NetworkMode;
}

export interface BindMount {
  /** Absolute host path. */
  source: string;
  /** Absolute path inside the container (created if missing, never through a symlink out of the root). */
  destination: string;
  readonly?: boolean;
}

export interface TmpfsMount {
  /** Absolute path inside the container (created if missing, resolved inside the root). */
  destination: string;
  /** Bytes (default: the kernel's, half of RAM). */
  size?: number;
  /** Permission bits of its root (default 0o1777). */
  mode?: number;
  readonly?: boolean;
  exec?: boolean;
}

export interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface CgroupSpec {
  /** Relative to each hierarchy's root, e.g. "berth-<instance>/<containerId>". */
  path: string;
  /** Memory limit in bytes (docker --memory). */
  memory?: number;
  /** Memory + swap in bytes (docker --memory-swap); -1 = unlimited swap. Default: 2 x memory, as Docker. */
  memorySwap?: number;
  /** CPU quota in CPUs (docker --cpus): quota = cpus x 100 ms per 100 ms period. */
  cpus?: number;
  /** Relative CPU weight (docker --cpu-shares, v1 shares; converted to cpu.weight on v2). */
  cpuShares?: number;
  /** Maximum number of tasks (docker --pids-limit). */
  pidsLimit?: number;
  /** docker --cpuset-cpus / --cpuset-mems, e.g. "0-1". */
  cpusetCpus?: string;
  cpusetMems?: string;
}

/** Joining a running container (execInContainer): the same security options as RunSpec. */
export interface ExecSpec {
  args: string[];
  /** "KEY=VALUE" (default: empty). */
  env?: string[];
  /** Default "/". */
  cwd?: string;
  uid?: number;
  gid?: number;
  additionalGids?: number[];
  capAdd?: string[];
  capDrop?: string[];
  noNewPrivileges?: boolean;
  seccomp?: 'default' | 'unconfined';
  tty?: boolean;
  ttySize?: { cols: number; rows: number };
  openStdin?: boolean;
}

/** Usage of a cgroup; null where the controller is absent. */
export interface CgroupStats {
  /** Bytes in use (v2 memory.current, v1 memory.usage_in_bytes). */
  memory: number | null;
  /** null = unlimited. */
  memoryLimit: number | null;
  /** CPU time used, in nanoseconds. */
  cpuNs: number | null;
  /** Tasks in the cgroup. */
  pids: number | null;
  /** Processes the kernel OOM-killed in this cgroup (Docker's OOMKilled when > 0). */
  oomKills: number | null;
  /** Bytes read from / written to block devices (v2 io.stat, v1 blkio.throttle.io_service_bytes). */
  ioReadBytes: number | null;
  ioWriteBytes: number | null;
}

export interface CgroupInfo {
  /** 1 (v1 hierarchies, also on hybrid hosts), 2 (unified), 0 (no cgroup filesystem). */
  version: 0 | 1 | 2;
  /** controller -> mount point (v1), or { unified: mount point } (v2). */
  mounts: Record<string, string>;
}

/** A running container. stdout/stderr: read ends of pipes (O_CLOEXEC), owned by the caller. */
export interface Spawned {
  pid: number;
  stdout: number;
  stderr: number;
  /** Write end of the stdin pipe, with RunSpec.openStdin. */
  stdin?: number;
}

/** A running container with a terminal: `pty` is the master side (O_CLOEXEC), owned by the caller. */
export interface SpawnedTty {
  pid: number;
  pty: number;
}

/** How the container's init ended: exitCode if it exited, signal if it was killed. */
export interface WaitResult {
  exitCode: number | null;
  signal: number | null;
}

/**
 * Where a native call failed. spawnContainer: 'clone', 'cgroup', 'userns', 'mount-private',
 * 'overlay', 'proc', 'dev', 'sys', 'mounts', 'pivot_root', 'masked-paths', 'readonly-paths',
 * 'network', 'hostname', 'rlimits', 'tty', 'capabilities', 'user', 'cwd', 'no-new-privs',
 * 'seccomp', 'init', 'exec'; execInContainer also 'setns'; waitContainer: 'wait';
 * killContainer: 'kill'.
 */
export type Stage =
  | 'clone'
  | 'cgroup'
  | 'userns'
  | 'mounts'
  | 'masked-paths'
  | 'readonly-paths'
  | 'rlimits'
  | 'tty'
  | 'capabilities'
  | 'no-new-privs'
  | 'seccomp'
  | 'init'
  | 'setns'
  | 'shim'
  | 'start'
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

/** A container's shim, opened: the connection (for shimWait/shimRelease), the fds it held, the exit if already reaped. */
export interface ShimHandle {
  conn: number;
  pid: number;
  /** What the worker handed it: [stdout, stderr] read ends, or [pty master]. */
  fds: number[];
  exit: WaitResult | null;
}
