// Breakouts Docker closed after its first hardening: a working directory leading out
// through an inherited fd (CVE-2024-21626), io_uring, and device nodes on a mount
// without nodev. Real namespaces, a busybox root, the static probe (test/probe.c).
// Needs root, gcc with a static libc and busybox-static, as isolation.test.ts does.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cgroupInfo, removeCgroup, type RunSpec } from './index.js';
import { containerDirs, makeBusyboxLayer, runToEnd } from './test-rootfs.js';

const probeSource = fileURLToPath(new URL('../test/probe.c', import.meta.url));
const dist = fileURLToPath(new URL('../dist/', import.meta.url));

let tmp = '';
let busybox = '';
let tools = ''; // /probe/probe
let hostDir = ''; // a host directory no container may reach
const cgroupParent = `berth-hardening-${process.pid}`;

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('hardening tests need root (namespaces, overlay mounts, cgroups)');
  if (!fs.existsSync(path.join(dist, 'index.js'))) throw new Error(`build native first (npx turbo run build): ${dist} is missing`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-hardening-'));
  busybox = path.join(tmp, 'busybox');
  makeBusyboxLayer(busybox);
  tools = path.join(tmp, 'tools');
  fs.mkdirSync(path.join(tools, 'probe'), { recursive: true });
  try {
    execFileSync('cc', ['-static', '-O2', '-o', path.join(tools, 'probe', 'probe'), probeSource], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`cannot build the static probe (needs gcc and libc6-dev): ${String((e as { stderr?: Buffer }).stderr ?? e)}`);
  }
  hostDir = path.join(tmp, 'host-only');
  fs.mkdirSync(hostDir);
  fs.writeFileSync(path.join(hostDir, 'secret'), 'host secret\n');
  fs.symlinkSync(hostDir, path.join(tools, 'evil'));
  fs.symlinkSync('/etc', path.join(tools, 'etclink'));
});

afterAll(async () => {
  for (const p of [cgroupParent, `${cgroupParent}-v2`]) await removeCgroup(p).catch(() => undefined);
  if (tmp !== '') fs.rmSync(tmp, { recursive: true, force: true });
});

function spec(args: string[], overrides: Partial<RunSpec> = {}): RunSpec {
  return {
    ...containerDirs(tmp),
    lowerdirs: [tools, busybox],
    args,
    env: ['PATH=/bin:/probe'],
    cwd: '/',
    hostname: 'hardened',
    uid: 0,
    gid: 0,
    ...overrides,
  };
}

/**
 * Runs an ES module in a fresh Node that imports the built package as `b` and `t`
 * (index.js, test-rootfs.js), with `extraFds` (non-CLOEXEC, as a process inherits them)
 * at fds 3, 4, ...; resolves what it printed on stdout, rejects with its stderr.
 */
function inSubprocess(body: string, opts: { env?: Record<string, string>; extraFds?: number[] } = {}): Promise<string> {
  const script =
    `import * as b from ${JSON.stringify(path.join(dist, 'index.js'))};\n` +
    `import * as t from ${JSON.stringify(path.join(dist, 'test-rootfs.js'))};\n` +
    body;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe', ...(opts.extraFds ?? [])],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += String(d)));
    child.stderr!.on('data', (d: Buffer) => (err += String(d)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`subprocess exited ${code}: ${err}`))));
  });
}

describe('the working directory cannot lead out of the container (CVE-2024-21626)', () => {
  // A worker holds directory fds (a `cp` walking a container's files); a clone copies them
  // all, CLOEXEC or not. Here the parent holds a host directory at every fd from 3 to 12.
  const fds = Array.from({ length: 10 }, (_, i) => i + 3);
  const escape =
    'cat secret; P=.; for i in $(seq 40); do P=$P/..; done; cat $P' +
    '"$HOSTDIR"/secret; echo pwned > pwned; echo pwned > $P"$HOSTDIR"/pwned2; pwd';

  it('refuses -w /proc/self/fd/N (and paths through it) for run and exec, whatever fds the parent holds', async () => {
    const dirFd = fs.openSync(hostDir, 'r');
    try {
      const common = { lowerdirs: [tools, busybox], env: ['PATH=/bin', `HOSTDIR=${hostDir}`], hostname: 'x', uid: 0, gid: 0 };
      const out = await inSubprocess(
        `
        const cfg = ${JSON.stringify({ tmp, common, fds, escape })};
        const spec = (over) => ({ ...t.containerDirs(cfg.tmp), ...cfg.common, args: ['sh', '-c', cfg.escape], cwd: '/', ...over });
        const settle = (p) => p.then((r) => ({ started: true, stdout: r.stdout, stderr: r.stderr }), (e) => ({ started: false, stage: e.stage, code: e.code }));
        const execToEnd = async (pid, s) => {
          const e = await b.execInContainer(pid, s);
          const [stdout, stderr] = await Promise.all([t.readAll(e.stdout), t.readAll(e.stderr), b.waitContainer(e.pid)]);
          return { stdout, stderr };
        };
        const results = [];
        const box = await b.spawnContainer(spec({ args: ['sleep', '60'] }));
        for (const n of cfg.fds) {
          results.push({ n, how: 'run -w', ...(await settle(t.runToEnd(spec({ cwd: '/proc/self/fd/' + n })))) });
          results.push({ n, how: 'run -w ../..', ...(await settle(t.runToEnd(spec({ cwd: '/proc/self/fd/' + n + '/../../../../../..' })))) });
          results.push({ n, how: 'exec -w', ...(await settle(execToEnd(box.pid, { args: ['sh', '-c', cfg.escape], env: cfg.common.env, cwd: '/proc/self/fd/' + n }))) });
        }
        b.killContainer(box.pid, 9);
        await Promise.all([t.readAll(box.stdout), t.readAll(box.stderr), b.waitContainer(box.pid)]);
        console.log(JSON.stringify(results));
        `,
        { extraFds: fds.map(() => dirFd) },
      );
      const results = JSON.parse(out) as { n: number; how: string; started: boolean; stage?: string; code?: string; stdout?: string }[];
      expect(results).toHaveLength(fds.length * 3);
      expect(out).not.toContain('host secret');
      expect(fs.readdirSync(hostDir)).toEqual(['secret']); // nothing written there either
      for (const r of results) {
        // Refused before the command starts: the cwd is not a directory inside the root
        // (ELOOP for a magic link, ENOENT for an fd the child does not hold).
        expect(r, `${r.how} with fd ${r.n}`).toMatchObject({ started: false, stage: 'cwd' });
        expect(['ELOOP', 'ENOENT'], `${r.how} with fd ${r.n}`).toContain(r.code);
      }
    } finally {
      fs.closeSync(dirFd);
    }
  });

  it('still enters an ordinary cwd, resolving .. and symlinks inside the root, and refuses a file', async () => {
    expect((await runToEnd(spec(['pwd', '-P'], { cwd: '/tmp/../bin/../etc' }))).stdout).toBe('/etc\n');
    expect((await runToEnd(spec(['pwd', '-P'], { cwd: '/bin/../../../../tmp' }))).stdout).toBe('/tmp\n');
    expect((await runToEnd(spec(['pwd', '-P'], { cwd: '/etclink' }))).stdout).toBe('/etc\n');
    // An image symlink to a host path means that path inside the root: not there.
    await expect(runToEnd(spec(['pwd'], { cwd: '/evil' }))).rejects.toMatchObject({ stage: 'cwd', code: 'ENOENT' });
    await expect(runToEnd(spec(['pwd'], { cwd: '/bin/busybox' }))).rejects.toMatchObject({ stage: 'cwd', code: 'ENOTDIR' });
    await expect(runToEnd(spec(['pwd'], { cwd: '/no/such/dir' }))).rejects.toMatchObject({ stage: 'cwd', code: 'ENOENT' });
  });
});

describe('io_uring is refused, as Docker 25+ refuses it', () => {
  it('io_uring_setup, io_uring_enter and io_uring_register fail with EPERM under the default policy', async () => {
    const names = ['io_uring_setup', 'io_uring_enter', 'io_uring_register'];
    const probe = async (overrides: Partial<RunSpec>) => {
      const r = await runToEnd(spec(['probe', ...names], overrides));
      expect(r.stderr).toBe('');
      return Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
    };
    // The kernel offers io_uring here: without the policy, setup succeeds.
    expect((await probe({ seccomp: 'unconfined' })).io_uring_setup).toBe('ok');
    expect(await probe({})).toEqual({ io_uring_setup: 'EPERM', io_uring_enter: 'EPERM', io_uring_register: 'EPERM' });
  });
});

describe("the device cgroup allows only Docker's default devices", () => {
  // Granted CAP_SYS_ADMIN, a container can mount a tmpfs without nodev and mknod there:
  // then only the device cgroup stands between it and the host's devices (loop0, a block
  // device; loop-control, a char device; both open for root on the host).
  const script =
    'mkdir -p /mnt/t && mount -t tmpfs -o dev,mode=755 tmpfs /mnt/t && echo mounted; ' +
    'mknod /mnt/t/loop0 b 7 0 && mknod /mnt/t/loopctl c 10 237 && mknod /mnt/t/null c 1 3 && echo made; ' +
    'true < /mnt/t/loop0; echo loop0=$?; true < /mnt/t/loopctl; echo loopctl=$?; ' +
    'echo x > /mnt/t/null; echo null=$?; head -c 4 /dev/zero | wc -c';
  const refused = (r: { stdout: string; stderr: string }) => {
    expect(r.stdout).toContain('mounted\nmade\n'); // the guard under test is the only one left
    expect(r.stdout).toMatch(/^loop0=[1-9]/m);
    expect(r.stdout).toMatch(/^loopctl=[1-9]/m);
    expect(r.stdout).toContain('null=0\n4\n'); // Docker's defaults still work, on the new mount too
    expect(r.stderr).toMatch(/Operation not permitted/);
  };

  it('refuses host devices on a dev tmpfs, even with CAP_SYS_ADMIN (the host layout)', async () => {
    // Control: without a cgroup (no device cgroup) the same nodes open.
    const open = await runToEnd(spec(['sh', '-c', script], { capAdd: ['SYS_ADMIN'] }));
    expect(open.stdout).toContain('loop0=0\nloopctl=0\n');

    refused(await runToEnd(spec(['sh', '-c', script], { capAdd: ['SYS_ADMIN'], cgroup: { path: `${cgroupParent}/dev` } })));
    if (cgroupInfo().version === 1) {
      const allowed = fs.readFileSync(path.join(cgroupInfo().mounts.devices!, cgroupParent, 'dev', 'devices.list'), 'utf8');
      expect(allowed.split('\n').filter(Boolean).sort()).toEqual(
        ['b *:* m', 'c *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 136:* rwm', 'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm'].sort(),
      );
    }
  });

  it('does the same on a cgroup v2 hierarchy, with an eBPF device program', async () => {
    // On a hybrid host the cgroup2 mount is chosen by BERTH_CGROUP_MODE=v2, read once per process.
    const s = spec(['sh', '-c', script], { capAdd: ['SYS_ADMIN'], cgroup: { path: `${cgroupParent}-v2/dev` } });
    const out = await inSubprocess(
      `
      if (b.cgroupInfo().version !== 2) throw new Error('no cgroup2 mount on this host: ' + JSON.stringify(b.cgroupInfo()));
      const r = await t.runToEnd(${JSON.stringify(s)});
      await b.removeCgroup(${JSON.stringify(`${cgroupParent}-v2`)});
      console.log(JSON.stringify(r));
      `,
      { env: { BERTH_CGROUP_MODE: 'v2' } },
    );
    refused(JSON.parse(out) as { stdout: string; stderr: string });
  });

  it('leaves the default devices usable', async () => {
    const r = await runToEnd(spec(['sh', '-c', 'head -c 4 /dev/urandom | wc -c; echo x > /dev/full; echo full=$?; echo x > /dev/null; echo null=$?'], { cgroup: { path: `${cgroupParent}/defaults` } }));
    expect(r.stdout).toBe('4\nfull=1\nnull=0\n');
    expect(r.stderr).toMatch(/No space left on device/); // /dev/full opened: the write itself fails
  });
});
