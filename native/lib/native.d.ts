// The raw surface of build/Release/berth_native.node (src/addon.cc). Only
// index.ts talks to it; everyone else uses index.ts's typed, validated wrapper.
import type {
  CgroupInfo,
  CgroupStats,
  ExecSpec,
  NativeErrorFields,
  RunSpec,
  ShimHandle,
  Spawned,
  SpawnedTty,
  WaitResult,
} from './types.js';

export interface NativeBinding {
  /** Clones the container on the calling (JS) thread; settles once execve succeeded or setup failed. */
  spawn(spec: RunSpec): Promise<Spawned | SpawnedTty>;
  /** Joins the namespaces and cgroups of `pid`; settles once execve succeeded or setup failed. */
  exec(pid: number, spec: ExecSpec): Promise<Spawned | SpawnedTty>;
  /** ioctl(fd, TIOCSWINSZ); throws on failure. */
  resizePty(fd: number, cols: number, rows: number): void;
  /** What a pty master holds now (read while poll says there is input: never blocks). */
  drainPty(fd: number): Buffer;
  /** waitpid(pid) on a dedicated thread. */
  wait(pid: number): Promise<WaitResult>;
  /** Connects to <dir>/shim.sock, hands it `hold` (if any), attaches, on its own thread; rejects with NativeError (ENOENT, ECONNREFUSED: no shim; EAGAIN: no answer in 5 s). */
  shimOpen(dir: string, hold: number[] | null): Promise<ShimHandle>;
  /** The exit the shim reports on `conn` (rejects ECONNRESET when the shim went without one). */
  shimWait(conn: number): Promise<WaitResult>;
  /** Tells the shim the exit is recorded (it exits) and closes `conn`. */
  shimRelease(conn: number): void;
  /** kill(pid, signal); throws on failure. */
  kill(pid: number, signal: number): void;
  /** Reads a cgroup's usage on a libuv pool thread. */
  cgroupStats(path: string): Promise<CgroupStats>;
  /** Kills what is left in a cgroup, waits for it to empty and removes it. */
  removeCgroup(path: string): Promise<void>;
  /** Freezes or thaws a cgroup on a libuv pool thread; settles once the kernel reports it done. */
  freezeCgroup(path: string, frozen: boolean): Promise<void>;
  /** The cgroup layout detected on this host. */
  cgroupInfo(): CgroupInfo;
  /** Adds a veth to the running container `pid` and configures it inside (network connect). */
  attachNetwork(pid: number, veth: import('./network.js').VethSpec): Promise<void>;
  /** Deletes interface `ifname` inside the running container `pid` (its host end goes with it). */
  detachNetwork(pid: number, ifname: string): Promise<void>;
  /** openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, + RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV with noSymlinks) of `path` under `root`; returns the fd. */
  openInRoot(root: string, path: string, flags: number, mode: number, options?: { noSymlinks?: boolean }): number;
  /** linkat(existing, newPath) with both resolved under `root`, crossing no symlink or mount (ELOOP, EXDEV); throws NativeError. */
  linkInRoot(root: string, existing: string, newPath: string): void;
  /** llistxattr(path): attribute names; throws NativeError. */
  listXattrs(path: string): string[];
  /** lgetxattr(path, name); throws NativeError (ENODATA when absent). */
  getXattr(path: string, name: string): Buffer;
  /** lsetxattr(path, name, value, 0); throws NativeError. */
  setXattr(path: string, name: string, value: Buffer): void;
  /** Mounts an overlay (lowerdirs topmost first) on `target`, off the JS thread. */
  mountOverlay(target: string, lowerdirs: string[], upperdir: string, workdir: string): Promise<void>;
  /** umount2(target, UMOUNT_NOFOLLOW [| MNT_DETACH]), off the JS thread. */
  unmount(target: string, detach: boolean): Promise<void>;
  /** Class the addon instantiates for every syscall failure. */
  setErrorClass(ctor: new (message: string, fields: NativeErrorFields) => Error): void;
}
