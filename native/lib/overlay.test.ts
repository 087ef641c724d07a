// Host-side overlay mounts through the addon, with real kernel mounts under os.tmpdir().
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mountOverlay, NativeError, unmount } from './index.js';

let tmp = '';

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('overlay mount tests need root (mount(2))');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-overlay-'));
});

afterAll(() => {
  if (tmp !== '') fs.rmSync(tmp, { recursive: true, force: true });
});

const dirs = (...names: string[]) =>
  names.map((n) => {
    const d = path.join(tmp, n);
    fs.mkdirSync(d, { recursive: true });
    return d;
  });

it('mounts two lowers and an upper: lower data shows, writes land in the upper only, unmount restores the empty dir', async () => {
  const [low1, low2, upper, work, mnt] = dirs('l1', 'l2', 'u', 'w', 'm');
  fs.writeFileSync(path.join(low2!, 'a'), 'bottom');
  fs.writeFileSync(path.join(low1!, 'a'), 'top');
  fs.writeFileSync(path.join(low2!, 'b'), 'b');
  await mountOverlay(mnt!, { lowerdirs: [low1!, low2!], upperdir: upper!, workdir: work! });
  try {
    expect(fs.readFileSync(path.join(mnt!, 'a'), 'utf8')).toBe('top');
    fs.writeFileSync(path.join(mnt!, 'b'), 'changed');
    fs.rmSync(path.join(mnt!, 'a'));
    expect(fs.readFileSync(path.join(low2!, 'b'), 'utf8')).toBe('b');
    expect(fs.readFileSync(path.join(upper!, 'b'), 'utf8')).toBe('changed');
    expect(fs.existsSync(path.join(low1!, 'a'))).toBe(true);
    expect(fs.existsSync(path.join(mnt!, 'a'))).toBe(false);
  } finally {
    await unmount(mnt!);
  }
  expect(fs.readdirSync(mnt!)).toEqual([]);
});

it('reports a failed mount as a NativeError naming the syscall and path', async () => {
  const [upper, work, mnt] = dirs('u2', 'w2', 'm2');
  const missing = path.join(tmp, 'no-such-layer');
  const err = await mountOverlay(mnt!, { lowerdirs: [missing], upperdir: upper!, workdir: work! }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NativeError);
  expect((err as NativeError).code).toBe('ENOENT');
  expect((err as NativeError).path).toBe(missing);
  const notMounted = await unmount(mnt!).catch((e: unknown) => e);
  expect((notMounted as NativeError).code).toBe('EINVAL');
  expect((notMounted as NativeError).syscall).toBe('umount2');
});

it('refuses a relative or separator-carrying path before any syscall', async () => {
  await expect(mountOverlay('rel', { lowerdirs: ['/a'], upperdir: '/u', workdir: '/w' })).rejects.toThrow(/target must be an absolute path/);
  await expect(mountOverlay('/m', { lowerdirs: ['/a:b'], upperdir: '/u', workdir: '/w' })).rejects.toThrow(/must not contain ':' or ','/);
  await expect(mountOverlay('/m', { lowerdirs: [], upperdir: '/u', workdir: '/w' })).rejects.toThrow(/non-empty/);
});
