// Extended attributes, which Node has no API for: the l* calls, so a symlink's own
// attributes are read and written, never its target's. Failures are NativeErrors
// ({ code: 'ENODATA' | 'ENOTSUP' | …, errno, syscall: 'lgetxattr', path }).
import { createRequire } from 'node:module';
import type { NativeBinding } from './native.js';

const require = createRequire(import.meta.url);
// The same module instance index.ts loads (require caches it), with its error class set.
const binding = require('../build/Release/berth_native.node') as NativeBinding;

const checkPath = (fn: string, p: unknown): string => {
  if (typeof p !== 'string' || p === '' || p.includes('\0')) throw new TypeError(`${fn}: path must be a non-empty string without NUL`);
  return p;
};
const checkName = (fn: string, n: unknown): string => {
  if (typeof n !== 'string' || n === '' || n.includes('\0') || Buffer.byteLength(n) > 255) throw new TypeError(`${fn}: name must be a non-empty string of at most 255 bytes without NUL`);
  return n;
};

/** Names of the attributes of `path` (the link itself for a symlink). */
export function listXattrs(path: string): string[] {
  return binding.listXattrs(checkPath('listXattrs', path));
}

/** The value of one attribute; throws a NativeError with code ENODATA when it is absent. */
export function getXattr(path: string, name: string): Buffer {
  return binding.getXattr(checkPath('getXattr', path), checkName('getXattr', name));
}

/** Sets (creates or replaces) one attribute. */
export function setXattr(path: string, name: string, value: Buffer | string): void {
  const v = typeof value === 'string' ? Buffer.from(value) : value;
  if (!Buffer.isBuffer(v)) throw new TypeError('setXattr: value must be a Buffer or a string');
  binding.setXattr(checkPath('setXattr', path), checkName('setXattr', name), v);
}
