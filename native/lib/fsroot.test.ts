// tmpfs mounts in a RunSpec, and openInRoot (berth cp's path resolution), against a real
// container root. Needs root (namespaces, overlay mounts) and busybox-static.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openInRoot, type RunSpec } from './index.js';
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
