// Real namespaces, real overlay mounts, a real busybox rootfs: no mocks.
// Needs root with CAP_SYS_ADMIN (as on CI); fails with the reason otherwise.
import { spawn as spawnProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NativeError, killContainer, spawnContainer, waitContainer, type RunSpec } from './index.js';
import { makeBusyboxLayer, containerDirs, runToEnd as run } from './test-rootfs.js';

let tmp = '';
let layer = ''; // busybox
let extra = ''; // a second, upper lower layer

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('native tests need root (namespaces, overlay mounts)');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-native-'));
  layer = path.join(tmp, 'layer');
  makeBusyboxLayer(layer);
  extra = path.join(tmp, 'extra');
  fs.mkdirSync(path.join(extra, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(extra, 'etc', 'motd'), 'from the extra layer\n');
  fs.writeFileSync(path.join(extra, 'etc', 'not-executable'), '#!/bin/sh\necho no\n', { mode: 0o644 });
});

afterAll(() => {
  if (tmp !== '') fs.rmSync(tmp, { recursive: true, force: true });
});

function spec(args: string[], overrides: Partial<RunSpec> = {}): RunSpec {
  return {
    ...containerDirs(tmp),
    lowerdirs: [extra, layer],
    args,
    env: ['PATH=/bin', 'HOME=/root'],
    cwd: '/',
    hostname: 'berth-test',
    uid: 0,
    gid: 0,
    ...overrides,
  };
}


async function spawnError(s: RunSpec): Promise<NativeError> {
  const error: unknown = await spawnContainer(s).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NativeError);
  return error as NativeError;
}

function fdCount(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

describe('spawnContainer + waitContainer', () => {
  it('runs a command and collects stdout and the exit code', async () => {
    expect(await run(spec(['echo', 'hello']))).toMatchObject({ stdout: 'hello\n', stderr: '', exitCode: 0, signal: null });
  });

  it('collects stderr and a non-zero exit code', async () => {
    const r = await run(spec(['sh', '-c', 'echo err >&2; exit 3']));
    expect(r).toMatchObject({ stdout: '', stderr: 'err\n', exitCode: 3, signal: null });
  });

  it('passes env, cwd and looks args[0] up in the PATH from env', async () => {
    const r = await run(
      spec(['sh', '-c', 'echo "$FOO $(pwd)"; cat'], { env: ['PATH=/nowhere:/usr/bin:/bin', 'FOO=bar'], cwd: '/etc' }),
    );
    // `cat` without arguments reads stdin, which is /dev/null
    expect(r).toMatchObject({ stdout: 'bar /etc\n', exitCode: 0 });
  });

  it('switches to the spec uid and gid', async () => {
    const r = await run(spec(['sh', '-c', 'id -u; id -g; id -G'], { uid: 1000, gid: 1001 }));
    expect(r).toMatchObject({ stdout: '1000\n1001\n1001\n', exitCode: 0 });
  });

  it('starts with default signal dispositions, an empty signal mask and umask 022', async () => {
    const status = (await run(spec(['grep', '-E', '^Sig(Blk|Ign)', '/proc/self/status']))).stdout;
    expect(status).toBe('SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n');
    expect((await run(spec(['sh', '-c', 'umask']))).stdout).toBe('0022\n');
  });

  it('stacks lowerdirs topmost first', async () => {
    expect((await run(spec(['cat', '/etc/motd']))).stdout).toBe('from the extra layer\n');
  });
});

describe('namespaces', () => {
  it('runs the command as pid 1', async () => {
    expect((await run(spec(['sh', '-c', 'echo $$']))).stdout).toBe('1\n');
  });

  it('sets the hostname', async () => {
    expect((await run(spec(['hostname'], { hostname: 'box-42' }))).stdout).toBe('box-42\n');
  });

  it('has only a loopback interface, and it is up', async () => {
    expect((await run(spec(['ls', '/sys/class/net']))).stdout).toBe('lo\n');
    const r = await run(spec(['cat', '/sys/class/net/lo/operstate', '/sys/class/net/lo/flags']));
    expect(Number.parseInt(r.stdout.split('\n')[1] ?? '', 16) & 1).toBe(1); // IFF_UP
  });

  it('sees only its own processes', async () => {
    const procs = (await run(spec(['ls', '/proc']))).stdout.split('\n').filter((e) => /^\d+$/.test(e));
    expect(procs).toEqual(['1']);
    const ps = (await run(spec(['ps', '-o', 'pid,args']))).stdout.trim().split('\n').slice(1);
    expect(ps.map((l) => l.trim())).toEqual(['1 ps -o pid,args']);
  });

  it('shows the container command as /proc/1/cmdline', async () => {
    expect((await run(spec(['cat', '/proc/1/cmdline']))).stdout).toBe('cat\0/proc/1/cmdline\0');
  });

  it('has the device nodes and mounts of a container /dev', async () => {
    const r = await run(
      spec(['sh', '-c', 'ls -l /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty | cut -c1-10; ls /dev; echo x > /dev/shm/x && cat /dev/shm/x; head -c 4 /dev/zero | wc -c']),
    );
    expect(r.stdout.split('\n').slice(0, 6)).toEqual(Array(6).fill('crw-rw-rw-'));
    for (const name of ['fd', 'ptmx', 'pts', 'shm', 'stderr', 'stdin', 'stdout'])
      expect(r.stdout).toContain(`${name}\n`);
    expect(r.stdout).toContain('x\n4\n');
    expect(r.exitCode).toBe(0);
  });

  it('mounts /sys read-only', async () => {
    const r = await run(spec(['sh', '-c', 'touch /sys/x']));
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/Read-only file system/);
  });
});

describe('filesystem isolation', () => {
  it('writes land in the container upperdir only', async () => {
    const first = spec(['touch', '/x']);
    expect((await run(first)).exitCode).toBe(0);
    expect(fs.existsSync(path.join(first.upperdir, 'x'))).toBe(true);
    expect(fs.existsSync(path.join(layer, 'x'))).toBe(false);
    expect(fs.existsSync(path.join(extra, 'x'))).toBe(false);
    expect(fs.existsSync(path.join(first.rootfs, 'x'))).toBe(false); // the overlay is not mounted on the host

    const second = spec(['sh', '-c', 'test -e /x && echo present || echo absent']);
    expect((await run(second)).stdout).toBe('absent\n');
  });
});

describe('errors', () => {
  it('rejects a missing command with ENOENT at the exec stage', async () => {
    const e = await spawnError(spec(['no-such-command']));
    expect(e).toMatchObject({ code: 'ENOENT', errno: -2, stage: 'exec', syscall: 'execve' });
    expect(e.path).toContain('no-such-command');
    expect(e.message).toBe('exec: execve no-such-command: No such file or directory (ENOENT)');

    const abs = await spawnError(spec(['/bin/nosuch']));
    expect(abs.message).toBe('exec: execve /bin/nosuch: No such file or directory (ENOENT)');
  });

  it('rejects a non-executable file with EACCES', async () => {
    const e = await spawnError(spec(['/etc/not-executable']));
    expect(e).toMatchObject({ code: 'EACCES', stage: 'exec', syscall: 'execve', path: '/etc/not-executable' });
  });

  it('rejects a missing lowerdir at the overlay stage', async () => {
    const missing = path.join(tmp, 'no-such-layer');
    const e = await spawnError(spec(['true'], { lowerdirs: [extra, missing, layer] }));
    expect(e).toMatchObject({ code: 'ENOENT', stage: 'overlay', syscall: 'fsconfig', path: missing });
  });

  it('rejects a missing cwd at the cwd stage', async () => {
    const e = await spawnError(spec(['true'], { cwd: '/no/such/dir' }));
    expect(e).toMatchObject({ code: 'ENOENT', stage: 'cwd', syscall: 'openat2', path: '/no/such/dir' });
  });

  it('rejects an invalid spec with a TypeError naming the field, before any syscall', async () => {
    await expect(spawnContainer({ ...spec(['true']), lowerdirs: [] })).rejects.toThrow(/RunSpec\.lowerdirs/);
    await expect(spawnContainer({ ...spec(['true']), rootfs: 'relative' })).rejects.toThrow(/RunSpec\.rootfs/);
    await expect(spawnContainer({ ...spec(['true']), upperdir: '/a,b' })).rejects.toThrow(/RunSpec\.upperdir/);
    await expect(spawnContainer({ ...spec(['true']), args: [] })).rejects.toThrow(/RunSpec\.args/);
    await expect(spawnContainer({ ...spec(['true']), env: ['NOVALUE'] })).rejects.toThrow(/RunSpec\.env\[0\]/);
    await expect(spawnContainer({ ...spec(['true']), uid: -1 })).rejects.toThrow(TypeError);
    expect(() => killContainer(0, 9)).toThrow(TypeError);
    await expect(waitContainer(-1)).rejects.toThrow(TypeError);
  });

  it('leaks no fd in the parent, on success or failure', async () => {
    await run(spec(['true'])); // warm-up
    const before = fdCount();
    for (let i = 0; i < 50; i++) {
      const c = await spawnContainer(spec(['true']));
      fs.closeSync(c.stdout);
      fs.closeSync(c.stderr);
      expect(await waitContainer(c.pid)).toEqual({ exitCode: 0, signal: null });
    }
    expect(fdCount()).toBe(before);
    for (let i = 0; i < 20; i++) await spawnError(spec(['no-such-command']));
    expect(fdCount()).toBe(before);
  });
});

describe('killContainer and concurrency', () => {
  it('kills a container; waitContainer reports the signal', async () => {
    const c = await spawnContainer(spec(['sleep', '100']));
    fs.closeSync(c.stdout);
    fs.closeSync(c.stderr);
    killContainer(c.pid, 9);
    expect(await waitContainer(c.pid)).toEqual({ exitCode: null, signal: 9 });
    let error: unknown;
    try {
      killContainer(c.pid, 9);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NativeError);
    expect(error).toMatchObject({ code: 'ESRCH', syscall: 'kill', stage: 'kill' });
  });

  it('waits for several containers at once', async () => {
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 5 }, () => run(spec(['sleep', '0.3']))));
    expect(results.map((r) => r.exitCode)).toEqual([0, 0, 0, 0, 0]);
    expect(Date.now() - started).toBeLessThan(1400); // 5 x 300 ms one after the other would take 1500+
  });

  it('kills the container when the spawning process dies (PR_SET_PDEATHSIG)', async () => {
    const addon = fileURLToPath(new URL('../build/Release/berth_native.node', import.meta.url));
    const s = spec(['sleep', '100']);
    const script = `
      const b = require(${JSON.stringify(addon)});
      b.spawn(${JSON.stringify(s)}).then((c) => { console.log(c.pid); setInterval(() => {}, 1000); });`;
    const node = spawnProcess(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      node.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
      node.once('exit', () => reject(new Error('helper exited before spawning')));
    });
    expect(fs.existsSync(`/proc/${pid}`)).toBe(true);
    node.kill('SIGKILL');
    const alive = () => {
      try {
        return !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')); // a zombie counts as dead
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 3000;
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(alive()).toBe(false);
  });
});

describe('openPipe', () => {
  it('streams 1,000 lines complete and in order', async () => {
    const r = await run(spec(['seq', '1000']));
    const expected = Array.from({ length: 1000 }, (_, i) => `${i + 1}\n`).join('');
    expect(r.stdout).toBe(expected);
    expect(r.exitCode).toBe(0);
  });
});

describe('host mount table', () => {
  // Runs last (tests in a file run in order): every container above mounted its
  // overlay, proc, dev and sys inside its own mount namespace only.
  it('has no mount under the test directories', () => {
    const mountPoints = fs
      .readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[4] ?? '')
      .filter((p) => p.startsWith(tmp));
    expect(mountPoints).toEqual([]);
  });
});
