// Thin typed wrapper over the native addon (src/*.cc): validates arguments,
// then hands them to C++. See native.d.ts for the raw binding.
import { createRequire } from 'node:module';
import net from 'node:net';
import type { Readable } from 'node:stream';
import { NativeError } from './errors.js';
import type { NativeBinding } from './native.js';
import type { RunSpec, Spawned, WaitResult } from './types.js';
import { validateFd, validatePid, validateRunSpec, validateSignal } from './validate.js';

export { NativeError } from './errors.js';
export type { NativeErrorFields, RunSpec, Spawned, Stage, WaitResult } from './types.js';

const require = createRequire(import.meta.url);
const binding = require('../build/Release/berth_native.node') as NativeBinding;
binding.setErrorClass(NativeError);

/**
 * Starts `spec.args` in new pid, mount, uts, ipc and net namespaces, on an overlay of
 * `spec.lowerdirs` + `spec.upperdir` mounted at `spec.rootfs` inside the container's own
 * mount namespace (nothing is mounted on the host). Resolves once execve succeeded;
 * rejects with a TypeError for an invalid spec and a NativeError for any setup failure.
 * The container gets SIGKILL if the thread that spawned it (the JS thread) exits, and
 * must be reaped with waitContainer.
 */
export async function spawnContainer(spec: RunSpec): Promise<Spawned> {
  return binding.spawn(validateRunSpec(spec));
}

/** Resolves when the container's init (and so the container) ended; reaps it. */
export async function waitContainer(pid: number): Promise<WaitResult> {
  return binding.wait(validatePid(pid));
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
