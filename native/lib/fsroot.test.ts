// tmpfs mounts in a RunSpec, and openInRoot (berth cp's path resolution), against a real
// container root. Needs root (namespaces, overlay mounts) and busybox-static.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkInRoot, openInRoot, type RunSpec } from './index.js';
import { containerDirs, makeBusyboxLayer, runToEnd } from './test-rootfs.js';

let tmp = '';
let busybox = '';
beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('these tests need root (namespaces, overlay mounts)');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-fsroot-'));
  busybox = path.join(tmp, 'busybox');
  makeBusyboxLayer(busybox);
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function spec(script: string, overrides: Partial<RunSpec> = {}): RunSpec {
  return { ...containerDirs(tmp), lowerdirs: [busybox], args: ['sh', '-c', script], env: ['PATH=/bin'], cwd: '/', hostname: 'fsroot', uid: 0, gid: 0, ...overrides };
}

describe('tmpfs mounts', () => {
  it('mounts an empty tmpfs with size and mode, nosuid and nodev, noexec unless asked', async () => {
    const r = await runToEnd(
      spec("grep -E ' /(scratch|run/x) ' /proc/mounts | cut -d' ' -f2,4; ls -A /scratch; stat -c %a /scratch", {
        tmpfs: [
          { destination: '/scratch', size: 1024 * 1024, mode: 0o1770 },
          { destination: '/run/x', exec: true, readonly: true },
        ],
      }),
    );
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\/scratch rw,nosuid,nodev,noexec,relatime,size=1024k,mode=1770/);
    expect(lines[1]).toMatch(/^\/run\/x ro,nosuid,nodev,relatime/);
    expect(lines[2]).toBe('1770');
    expect(lines).toHaveLength(3);
  });

  it('refuses a relative destination', async () => {
    await expect(runToEnd(spec('true', { tmpfs: [{ destination: 'scratch' }] }))).rejects.toThrow(/tmpfs\[0\]\.destination/);
  });
});

describe('openInRoot', () => {
  it('resolves absolute and relative symlinks and .. inside the root', () => {
    const root = path.join(tmp, 'root');
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc/hostname'), 'inside\n');
    fs.symlinkSync('/', path.join(root, 'abs'));
    fs.symlinkSync('../../../../..', path.join(root, 'rel'));
    for (const p of ['/abs/etc/hostname', 'rel/etc/hostname', '/../../etc/hostname', '/abs/abs/rel/etc/hostname']) {
      const fd = openInRoot(root, p, fs.constants.O_RDONLY);
      try {
        expect(fs.readFileSync(fd, 'utf8'), p).toBe('inside\n');
      } finally {
        fs.closeSync(fd);
      }
    }
    expect(() => openInRoot(root, '/abs/proc/self/root/etc/passwd', fs.constants.O_RDONLY)).toThrow(/ENOENT/);
  });
});

describe('openInRoot with noSymlinks, and linkInRoot', () => {
  let root = '';
  let host = '';
  beforeAll(() => {
    root = path.join(tmp, 'strict');
    host = path.join(tmp, 'strict-host');
    fs.mkdirSync(path.join(root, 'd'), { recursive: true });
    fs.mkdirSync(host, { recursive: true });
    fs.writeFileSync(path.join(root, 'd/f'), 'inside\n');
    fs.writeFileSync(path.join(host, 'secret'), 'host\n');
    fs.symlinkSync(host, path.join(root, 'evil'));
    fs.symlinkSync('../../../../../../..' + host, path.join(root, 'd/up'));
    fs.symlinkSync('f', path.join(root, 'd/s'));
  });
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as { code?: string }).code;
    }
    return 'no error';
  };

  it('refuses a path crossing any symlink (ELOOP), and returns a trailing one itself with O_PATH | O_NOFOLLOW', () => {
    const O_PATH = 0o10000000;
    expect(code(() => openInRoot(root, 'evil/secret', fs.constants.O_RDONLY, 0, { noSymlinks: true }))).toBe('ELOOP');
    expect(code(() => openInRoot(root, 'd/up/secret', fs.constants.O_RDONLY, 0, { noSymlinks: true }))).toBe('ELOOP');
    expect(code(() => openInRoot(root, 'd/s', fs.constants.O_RDONLY, 0, { noSymlinks: true }))).toBe('ELOOP');
    const fd = openInRoot(root, 'd/s', O_PATH | fs.constants.O_NOFOLLOW, 0, { noSymlinks: true });
    try {
      expect(fs.fstatSync(fd).isSymbolicLink()).toBe(true);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('links inside the root, and refuses links whose paths cross a symlink, leaving host files alone', () => {
    linkInRoot(root, 'd/f', 'g');
    expect(fs.statSync(path.join(root, 'g')).ino).toBe(fs.statSync(path.join(root, 'd/f')).ino);
    linkInRoot(root, 'd/s', 'd/s2'); // a trailing symlink is linked itself
    expect(fs.readlinkSync(path.join(root, 'd/s2'))).toBe('f');
    expect(code(() => linkInRoot(root, 'evil/secret', 'leak'))).toBe('ELOOP');
    expect(code(() => linkInRoot(root, 'd/up/secret', 'leak'))).toBe('ELOOP');
    expect(code(() => linkInRoot(root, '/../../../../../..' + host + '/secret', 'leak'))).toBe('ENOENT');
    expect(code(() => linkInRoot(root, 'd/f', 'evil/planted'))).toBe('ELOOP');
    expect(code(() => linkInRoot(root, 'd', 'dirlink'))).toBe('EISDIR');
    expect(fs.statSync(path.join(host, 'secret')).nlink).toBe(1);
    expect(fs.readdirSync(host)).toEqual(['secret']);
  });
});
