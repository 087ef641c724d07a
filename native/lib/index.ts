// Thin typed wrapper over the native addon (src/*.cc): validates arguments,
// then hands them to C++. See native.d.ts for the raw binding.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { runSpecFromBundle, type BundleOptions } from './oci.js';
import net from 'node:net';
import path from 'node:path';
import { Duplex, type Readable } from 'node:stream';
import tty from 'node:tty';
import { NativeError } from './errors.js';
import type { NativeBinding } from './native.js';
import type {
  CgroupInfo,
  CgroupStats,
  ExecSpec,
  RunSpec,
  ShimHandle,
  Spawned,
  SpawnedTty,
  WaitResult,
} from './types.js';
import {
  validateCgroupPath,
  validateExecSpec,
  validateFd,
  validatePid,
  validateRunSpec,
  validateSignal,
} from './validate.js';

export { NativeError } from './errors.js';
export type { NetworkMode, VethSpec } from './network.js';
export { runSpecFromBundle, DOCKER_DEFAULT_CAPS, type BundleOptions } from './oci.js';
export { listXattrs, getXattr, setXattr } from './xattrs.js';
export { mountOverlay, unmount } from './overlay.js';
export type {
  BindMount,
  CgroupInfo,
  CgroupSpec,
  CgroupStats,
  ExecSpec,
  IdMapping,
  NativeErrorFields,
  RunSpec,
  ShimHandle,
  Spawned,
  SpawnedTty,
  Stage,
  TmpfsMount,
  WaitResult,
} from './types.js';

const require = createRequire(import.meta.url);
const binding = require('../build/Release/berth_native.node') as NativeBinding;
binding.setErrorClass(NativeError);

/**
 * The port proxy of a container's published ports (src/port_proxy_main.cc, Docker's docker-proxy):
 * built beside the addon; its usage is at the top of that file.
 */
export const PORT_PROXY_BINARY = path.join(path.dirname(require.resolve('../build/Release/berth_native.node')), 'berth-port-proxy');

/**
 * Starts `spec.args` in new pid, mount, uts, ipc, net and cgroup namespaces (and a user
 * namespace with `spec.userns`), on an overlay of `spec.lowerdirs` + `spec.upperdir` mounted at
 * `spec.rootfs` inside the container's own mount namespace (nothing is mounted on the host).
 * Hardened by default as Docker is: its 14 capabilities, no_new_privs, its seccomp policy, its
 * masked and read-only paths; plus nodev everywhere but the six bind-mounted /dev nodes.
 * Resolves once execve succeeded; rejects with a TypeError for an invalid spec and a NativeError
 * for any setup failure. The container gets SIGKILL if the thread that spawned it (the JS
 * thread) exits, and must be reaped with waitContainer; with `spec.shim`, its parent is a
 * detached berth-shim instead, and it outlives this process (see shimOpen).
 */
export function spawnContainer(spec: RunSpec & { tty: true }): Promise<SpawnedTty>;
export function spawnContainer(spec: RunSpec & { tty?: false }): Promise<Spawned>;
export function spawnContainer(spec: RunSpec): Promise<Spawned | SpawnedTty>;
export async function spawnContainer(spec: RunSpec): Promise<Spawned | SpawnedTty> {
  return binding.spawn(validateRunSpec(spec));
}

/**
 * Runs `spec.args` inside the running container whose init is `pid` (as seen from the host):
 * joins its cgroups and namespaces, forks into its pid namespace, then applies the same
 * capabilities / no_new_privs / seccomp rules as spawnContainer. The returned pid is a child
 * of this process: reap it with waitContainer.
 */
export function execInContainer(pid: number, spec: ExecSpec & { tty: true }): Promise<SpawnedTty>;
export function execInContainer(pid: number, spec: ExecSpec & { tty?: false }): Promise<Spawned>;
export function execInContainer(pid: number, spec: ExecSpec): Promise<Spawned | SpawnedTty>;
export async function execInContainer(pid: number, spec: ExecSpec): Promise<Spawned | SpawnedTty> {
  return binding.exec(validatePid(pid), validateExecSpec(spec));
}

/** Resolves when the container's init (and so the container) ended; reaps it. */
export async function waitContainer(pid: number): Promise<WaitResult> {
  return binding.wait(validatePid(pid));
}

/**
 * Opens the shim of a container started with `RunSpec.shim` (berth-shim, its parent): hands it
 * `hold` (the container's output ends, kept open for a later worker while none reads), then
 * receives what it holds and the exit if the container already ended. Off the event loop (a
 * slow shim has 5 s per answer). Rejects with NativeError (ENOENT or ECONNREFUSED: no shim runs
 * for `dir`; EAGAIN: it did not answer in time).
 */
export async function shimOpen(dir: string, hold: number[] | null = null): Promise<ShimHandle> {
  if (!path.isAbsolute(dir)) throw new TypeError(`shimOpen: dir must be absolute, got ${dir}`);
  return binding.shimOpen(dir, hold ? hold.map(validateFd) : null);
}

/** Resolves with the container's exit once its shim reaped it. */
export async function shimWait(conn: number): Promise<WaitResult> {
  return binding.shimWait(validateFd(conn));
}

/** The exit is recorded: the shim may go. Closes `conn`. */
export function shimRelease(conn: number): void {
  binding.shimRelease(validateFd(conn));
}

/**
 * Sends `signal` to the container's init (pid 1 inside). As pid 1, it only receives
 * signals it handles, except SIGKILL and SIGSTOP. Throws NativeError (ESRCH, ...).
 */
export function killContainer(pid: number, signal: number): void {
  binding.kill(validatePid(pid), validateSignal(signal));
}

/**
 * Wraps the read end of a pipe (Spawned.stdout/stderr) in a non-blocking net.Socket
 * polled by the event loop. The stream takes ownership of `fd` and closes it when it
 * ends or is destroyed.
 */
export function openPipe(fd: number): Readable {
  return new net.Socket({ fd: validateFd(fd), readable: true, writable: false });
}

/**
 * Wraps a pty master (SpawnedTty.pty) in a duplex stream: read what the program writes,
 * write what it should read. Takes ownership of `fd` and closes it when the stream is
 * destroyed. The stream ends (instead of failing with EIO, as Linux reports the hangup)
 * once every process holding the terminal is gone.
 */
export function openPty(fd: number): Duplex {
  const masterFd = validateFd(fd);
  const master = new tty.ReadStream(masterFd);
  const stream = new Duplex({
    read() {
      master.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      master.write(chunk, callback);
    },
    destroy(error, callback) {
      master.destroy();
      callback(error);
    },
  });
  master.on('data', (d: Buffer) => {
    if (!stream.push(d)) master.pause();
  });
  // EIO: Linux's word that the other side closed and nothing is left (Node has closed the fd).
  master.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EIO' ? stream.push(null) : stream.destroy(e)));
  // An end is libuv's guess: a hangup after a short read. A pty's read returns at most 4 KB (its
  // line discipline's buffer) while more may be queued behind it, so what is left is read out
  // here, while the fd is still open (not after a destroy): a program that wrote 20 KB and
  // exited at once lost its last 4-8 KB without this.
  master.on('end', () => {
    if (!master.destroyed) {
      const rest = binding.drainPty(masterFd);
      if (rest.length) stream.push(rest);
    }
    stream.push(null);
  });
  return stream;
}

/** Sets the terminal size of a pty master; the program gets SIGWINCH. */
export function resizePty(fd: number, cols: number, rows: number): void {
  for (const [name, v] of [['cols', cols], ['rows', rows]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 65535) throw new TypeError(`${name}: expected an integer 1..65535, got ${String(v)}`);
  }
  binding.resizePty(validateFd(fd), cols, rows);
}

/** Memory, CPU time, task count and OOM kills of a cgroup (RunSpec.cgroup.path). */
export async function cgroupStats(path: string): Promise<CgroupStats> {
  return binding.cgroupStats(validateCgroupPath(path, 'path'));
}

/** True once the kernel OOM-killed a process of the cgroup (Docker's State.OOMKilled). */
export async function containerOomKilled(path: string): Promise<boolean> {
  return ((await cgroupStats(path)).oomKills ?? 0) > 0;
}

/**
 * Removes a cgroup (and its children) in every hierarchy, after killing whatever still
 * runs in it (v2 cgroup.kill; v1 freeze, SIGKILL, thaw). A cgroup that does not exist counts
 * as removed.
 */
export async function removeCgroup(path: string): Promise<void> {
  return binding.removeCgroup(validateCgroupPath(path, 'path'));
}

/**
 * `pause`/`unpause`: freezes (true) or thaws (false) every process of the cgroup; resolves once
 * the kernel reports it done (v2 cgroup.freeze / cgroup.events, v1 freezer.state).
 */
export async function freezeCgroup(path: string, frozen: boolean): Promise<void> {
  if (typeof frozen !== 'boolean') throw new TypeError('frozen: expected a boolean');
  return binding.freezeCgroup(validateCgroupPath(path, 'path'), frozen);
}

/** The cgroup layout the addon uses on this host (BERTH_CGROUP_MODE=v2 forces the cgroup2 mount). */
export function cgroupInfo(): CgroupInfo {
  return binding.cgroupInfo();
}

/**
 * Runs an OCI runtime bundle (the directory crun and runc take): config.json validated and
 * mapped by runSpecFromBundle, the bundle's root as a read-only lower layer, writes going to
 * opts.stateDir. The same bundle runs under crun, runc, berth-runtime and this.
 */
export async function spawnFromBundle(bundle: string, opts: BundleOptions): Promise<Spawned | SpawnedTty> {
  const spec = runSpecFromBundle(bundle, opts);
  for (const d of [spec.rootfs, spec.upperdir, spec.workdir]) fs.mkdirSync(d, { recursive: true });
  return spawnContainer(spec);
}

/** `network connect`: a veth from `veth.bridge` into the running container `pid`, configured inside. */
export function attachNetwork(pid: number, veth: import('./network.js').VethSpec): Promise<void> {
  return binding.attachNetwork(validatePid(pid), veth);
}

/** `network disconnect`: removes `ifname` from the running container `pid`. */
export function detachNetwork(pid: number, ifname: string): Promise<void> {
  return binding.detachNetwork(validatePid(pid), ifname);
}

/**
 * Opens `path` of the filesystem rooted at `root` (a container's root, or /proc/<pid>/root) with
 * open(2) `flags` (O_PATH, O_NOFOLLOW, O_CREAT, …): the kernel resolves every component, symlinks
 * and ".." included, inside `root` (openat2 RESOLVE_IN_ROOT), so nothing in the container can
 * lead the caller to a host file. Returns an fd (O_CLOEXEC) the caller closes; throws NativeError.
 */
export function openInRoot(root: string, path: string, flags: number, mode = 0o644, options: InRootOptions = {}): number {
  checkRoot(root);
  if (typeof path !== 'string') throw new TypeError('path: expected a string');
  if (!Number.isInteger(flags) || !Number.isInteger(mode)) throw new TypeError('flags and mode: expected integers');
  return binding.openInRoot(root, path, flags, mode, { noSymlinks: options.noSymlinks === true });
}

export interface InRootOptions {
  /**
   * Refuse a path that crosses any symlink (NativeError ELOOP) or mount point (EXDEV) instead
   * of resolving it inside the root; a trailing symlink opened with O_PATH | O_NOFOLLOW is
   * still returned as itself. For trees whose symlinks must never be followed while writing
   * them (an image layer being unpacked).
   */
  noSymlinks?: boolean;
}

/**
 * Hard-links `existing` to `newPath`, both paths of the tree rooted at `root`: each is resolved
 * by the kernel inside `root` and may cross no symlink (ELOOP) and no mount point (EXDEV), so a
 * hostile tree cannot make the link reach a host file. A trailing symlink of `existing` is
 * linked itself, as link(2) does; a directory is refused (EISDIR). Throws NativeError.
 */
export function linkInRoot(root: string, existing: string, newPath: string): void {
  checkRoot(root);
  if (typeof existing !== 'string' || typeof newPath !== 'string') throw new TypeError('existing and newPath: expected strings');
  binding.linkInRoot(root, existing, newPath);
}

function checkRoot(root: string): void {
  if (typeof root !== 'string' || !root.startsWith('/')) throw new TypeError(`root: expected an absolute path, got ${JSON.stringify(root)}`);
}
