// Extended attributes through the addon, on a real filesystem (tmpfs or the disk under
// os.tmpdir(); both take user.* and, as root, security.* and trusted.*).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { getXattr, listXattrs, NativeError, setXattr } from './index.js';

let tmp = '';

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('xattr tests need root (security.* and trusted.* attributes)');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-xattr-'));
});

afterAll(() => {
  if (tmp !== '') fs.rmSync(tmp, { recursive: true, force: true });
});

it('sets, lists and reads back text and binary values', () => {
  const f = path.join(tmp, 'file');
  fs.writeFileSync(f, 'x');
  // A file capability (cap_net_bind_service=ep, VFS_CAP_REVISION_2): binary, with NUL bytes.
  const cap = Buffer.from('0000000200040000000000000000000000000000', 'hex');
  setXattr(f, 'user.note', 'hello');
  setXattr(f, 'security.capability', cap);
  setXattr(f, 'user.empty', Buffer.alloc(0));
  expect(listXattrs(f).sort()).toEqual(expect.arrayContaining(['security.capability', 'user.empty', 'user.note']));
  expect(getXattr(f, 'user.note').toString()).toBe('hello');
  expect(getXattr(f, 'security.capability').equals(cap)).toBe(true);
  expect(getXattr(f, 'user.empty').length).toBe(0);
  setXattr(f, 'user.note', 'replaced');
  expect(getXattr(f, 'user.note').toString()).toBe('replaced');
});

it('works on a symlink itself, never its target', () => {
  const target = path.join(tmp, 'target');
  const link = path.join(tmp, 'link');
  fs.writeFileSync(target, 'x');
  fs.symlinkSync(target, link);
  setXattr(link, 'trusted.berth-test', 'on-link');
  expect(getXattr(link, 'trusted.berth-test').toString()).toBe('on-link');
  expect(listXattrs(target)).not.toContain('trusted.berth-test');
});

it('reports failures as NativeErrors with errno, syscall and path', () => {
  const f = path.join(tmp, 'plain');
  fs.writeFileSync(f, 'x');
  const missing = path.join(tmp, 'missing');
  const errorOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return e as NativeError;
    }
    throw new Error('expected a failure');
  };
  const absent = errorOf(() => getXattr(f, 'user.absent'));
  expect(absent).toBeInstanceOf(NativeError);
  expect(absent).toMatchObject({ code: 'ENODATA', syscall: 'lgetxattr', path: f });
  expect(absent.errno).toBeLessThan(0);
  expect(errorOf(() => listXattrs(missing))).toMatchObject({ code: 'ENOENT', syscall: 'llistxattr', path: missing });
  expect(errorOf(() => setXattr(missing, 'user.a', 'b'))).toMatchObject({ code: 'ENOENT', syscall: 'lsetxattr', path: missing });
  expect(errorOf(() => setXattr(f, 'nonamespace', 'b'))).toMatchObject({ code: 'EOPNOTSUPP', syscall: 'lsetxattr' });
  expect(() => getXattr(f, '')).toThrow(TypeError);
  expect(() => setXattr(f, 'user.a', 5 as unknown as Buffer)).toThrow(TypeError);
});
