// Overlay mounts made by the worker on the host (copy-on-write volumes), not inside a
// container. Failures are NativeErrors ({ code, errno, syscall: 'fsconfig' | 'mount' | 'umount2', path }).
import { createRequire } from 'node:module';
import type { NativeBinding } from './native.js';

const require = createRequire(import.meta.url);
// The same module instance index.ts loads (require caches it), with its error class set.
const binding = require('../build/Release/berth_native.node') as NativeBinding;

const abs = (fn: string, what: string, p: unknown): string => {
  if (typeof p !== 'string' || !p.startsWith('/') || p.includes('\0')) throw new TypeError(`${fn}: ${what} must be an absolute path without NUL`);
  return p;
};

/** Mounts overlayfs on `target`: `lowerdirs` topmost first (read-only), writes go to `upperdir`. */
export async function mountOverlay(target: string, o: { lowerdirs: string[]; upperdir: string; workdir: string }): Promise<void> {
  if (!Array.isArray(o.lowerdirs) || o.lowerdirs.length === 0) throw new TypeError('mountOverlay: lowerdirs must be a non-empty array');
  for (const d of o.lowerdirs) {
    abs('mountOverlay', 'a lowerdir', d);
    if (/[:,]/.test(d)) throw new TypeError(`mountOverlay: a lowerdir must not contain ':' or ',': ${d}`);
  }
  return binding.mountOverlay(abs('mountOverlay', 'target', target), o.lowerdirs, abs('mountOverlay', 'upperdir', o.upperdir), abs('mountOverlay', 'workdir', o.workdir));
}

/** Unmounts `target` (never following a symlink there); `detach`: lazily, even while something uses it. */
export async function unmount(target: string, opts: { detach?: boolean } = {}): Promise<void> {
  return binding.unmount(abs('unmount', 'target', target), !!opts.detach);
}
