// The isolation promise, as a user can read it: every case is a container
// trying to break out, and failing. Real namespaces, a real busybox root and a
// static probe binary (test/probe.c) that tries one syscall per argument.
// Needs root (as on CI), gcc with a static libc, busybox-static; fails with the reason otherwise.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NativeError,
  cgroupInfo,
  cgroupStats,
  containerOomKilled,
  execInContainer,
  killContainer,
  openPipe,
  openPty,
  removeCgroup,
  resizePty,
  spawnContainer,
  waitContainer,
  type RunSpec,
} from './index.js';
import { makeBusyboxLayer, containerDirs, readAll, runToEnd as run } from './test-rootfs.js';

const probeSource = fileURLToPath(new URL('../test/probe.c', import.meta.url));

let tmp = '';
let busybox = ''; // busybox layer
let tools = ''; // /probe/probe, /probe/suid-probe (setuid root), /evil -> a host directory
let hostDir = ''; // a host directory the container must never reach
const cgroupParent = `berth-test-${process.pid}`;

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('isolation tests need root (namespaces, overlay mounts, cgroups)');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-isolation-'));
  fs.chmodSync(tmp, 0o755); // reachable by a user namespace's root (an unprivileged host uid)
  busybox = path.join(tmp, 'busybox');
  makeBusyboxLayer(busybox);
  tools = path.join(tmp, 'tools');
  fs.mkdirSync(path.join(tools, 'probe'), { recursive: true });
  try {
    execFileSync('cc', ['-static', '-O2', '-o', path.join(tools, 'probe', 'probe'), probeSource], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`cannot build the static probe (needs gcc and libc6-dev): ${String((e as { stderr?: Buffer }).stderr ?? e)}`);
  }
  fs.copyFileSync(path.join(tools, 'probe', 'probe'), path.join(tools, 'probe', 'suid-probe'));
  fs.chmodSync(path.join(tools, 'probe', 'suid-probe'), 0o4755);
  hostDir = path.join(tmp, 'host-only');
  fs.mkdirSync(hostDir);
  fs.writeFileSync(path.join(hostDir, 'secret'), 'host secret\n');
  fs.symlinkSync(hostDir, path.join(tools, 'evil')); // an image symlink pointing at a host path
});

afterAll(async () => {
  await removeCgroup(cgroupParent).catch(() => undefined);
  if (tmp !== '') fs.rmSync(tmp, { recursive: true, force: true });
});

function spec(args: string[], overrides: Partial<RunSpec> = {}): RunSpec {
  return {
    ...containerDirs(tmp),
    lowerdirs: [tools, busybox],
    args,
    env: ['PATH=/bin:/probe', 'HOME=/root'],
    cwd: '/',
    hostname: 'isolated',
    uid: 0,
    gid: 0,
    ...overrides,
  };
}


const sh = (script: string, overrides: Partial<RunSpec> = {}) => run(spec(['sh', '-c', script], overrides));

/** Runs the probe in a container: { syscall name: errno name or 'ok' }. */
async function probe(names: string[], overrides: Partial<RunSpec> = {}): Promise<Record<string, string>> {
  const r = await run(spec(['probe', ...names], overrides));
  expect(r.stderr).toBe('');
  return Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
}

const statusField = (status: string, field: string) => new RegExp(`^${field}:\\s*(\\S+)$`, 'm').exec(status)?.[1];

describe('a container cannot gain privileges', () => {
  it("holds exactly Docker's 14 capabilities: CapEff is 00000000a80425fb", async () => {
    const status = (await run(spec(['cat', '/proc/self/status']))).stdout;
    expect(statusField(status, 'CapEff')).toBe('00000000a80425fb');
    expect(statusField(status, 'CapPrm')).toBe('00000000a80425fb');
    expect(statusField(status, 'CapBnd')).toBe('00000000a80425fb');
    expect(statusField(status, 'CapInh')).toBe('0000000000000000');
    expect(statusField(status, 'CapAmb')).toBe('0000000000000000');
  });

  it('gains only the capabilities added and loses those dropped', async () => {
    const added = (await run(spec(['cat', '/proc/self/status'], { capAdd: ['NET_ADMIN'], capDrop: ['CAP_CHOWN'] }))).stdout;
    expect(statusField(added, 'CapEff')).toBe('00000000a80435fa'); // + NET_ADMIN (bit 12), - CHOWN (bit 0)
    const none = (await run(spec(['cat', '/proc/self/status'], { capDrop: ['ALL'] }))).stdout;
    expect(statusField(none, 'CapEff')).toBe('0000000000000000');
    expect(statusField(none, 'CapBnd')).toBe('0000000000000000');
    await expect(spawnContainer(spec(['true'], { capAdd: ['NOT_A_CAP'] }))).rejects.toThrow(/unknown capability NOT_A_CAP/);
  });

  it('as a non-root user holds no capability at all', async () => {
    const status = (await run(spec(['cat', '/proc/self/status'], { uid: 1000, gid: 1000 }))).stdout;
    expect(statusField(status, 'CapEff')).toBe('0000000000000000');
    expect(statusField(status, 'CapPrm')).toBe('0000000000000000');
    expect(statusField(status, 'CapBnd')).toBe('00000000a80425fb');
  });

  it('cannot become root through a setuid-root binary (no_new_privs)', async () => {
    const r = await run(spec(['sh', '-c', 'grep NoNewPrivs /proc/self/status; suid-probe euid; id -u'], { uid: 1000, gid: 1000 }));
    expect(r.stdout).toBe('NoNewPrivs:\t1\neuid 1000\n1000\n');
    // The control: without no_new_privs the very same binary does make uid 1000 root.
    const control = await run(spec(['suid-probe', 'euid'], { uid: 1000, gid: 1000, noNewPrivileges: false }));
    expect(control.stdout).toBe('euid 0\n');
  });

  it('runs with exactly the supplementary groups asked for', async () => {
    const r = await run(spec(['id', '-G'], { uid: 1000, gid: 1001, additionalGids: [10, 20] }));
    expect(r.stdout).toBe('1001 10 20\n');
  });
});

describe("the kernel refuses what Docker's seccomp policy refuses (EPERM)", () => {
  it('cannot mount or unmount a filesystem, nor pivot_root', async () => {
    expect(await probe(['mount', 'umount2', 'pivot_root'])).toEqual({ mount: 'EPERM', umount2: 'EPERM', pivot_root: 'EPERM' });
    const r = await sh('mkdir -p /mnt && mount -t tmpfs none /mnt');
    expect(r.exitCode).not.toBe(0);
  });

  it('cannot unshare, setns or clone into new namespaces', async () => {
    expect(await probe(['unshare', 'unshare-user', 'setns', 'clone-newns', 'clone3'])).toEqual({
      unshare: 'EPERM',
      'unshare-user': 'EPERM',
      setns: 'EPERM',
      'clone-newns': 'EPERM',
      clone3: 'ENOSYS', // so that libc falls back to clone(2), whose flags the filter can see
    });
    expect((await sh('unshare -n true')).exitCode).not.toBe(0);
  });

  it('cannot load or remove a kernel module, kexec or reboot', async () => {
    const r = await probe(['init_module', 'finit_module', 'delete_module', 'kexec_load', 'reboot']);
    expect(r).toEqual({ init_module: 'EPERM', finit_module: 'EPERM', delete_module: 'EPERM', kexec_load: 'EPERM', reboot: 'EPERM' });
    const insmod = await sh('echo junk > /tmp/m.ko; insmod /tmp/m.ko');
    expect(insmod.exitCode).not.toBe(0);
    expect(insmod.stderr).toMatch(/Operation not permitted/);
  });

  it('cannot use kernel keyrings, bpf, perf, userfaultfd, the kernel log, accounting, quotas, swap or the clock', async () => {
    const names = [
      'keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open', 'userfaultfd', 'syslog', 'acct', 'lookup_dcookie',
      'quotactl', 'swapon', 'swapoff', 'clock_settime', 'settimeofday', 'open_by_handle_at', 'iopl', 'vsock',
      'personality-unsafe',
    ];
    expect(await probe(names)).toEqual(Object.fromEntries(names.map((n) => [n, 'EPERM'])));
    // ... while what Docker allows still works.
    expect(await probe(['personality-linux', 'chroot', 'ptrace-traceme'])).toEqual({
      'personality-linux': 'ok',
      chroot: 'ok',
      'ptrace-traceme': 'ok',
    });
  });

  it('follows the capabilities, as Docker does: CAP_SYS_ADMIN opens mount', async () => {
    expect(await probe(['mount'], { capAdd: ['SYS_ADMIN'] })).toEqual({ mount: 'ok' });
  });
});

describe('host resources stay out of reach', () => {
  it('reads /proc/keys, /proc/timer_list and the other masked files as empty, and masked dirs as empty', async () => {
    const r = await sh(
      'for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/latency_stats; do [ -e $f ] && printf "%s:%s " $f $(cat $f | wc -c); done; echo; ls -A /proc/acpi | wc -w; ls -A /sys/firmware | wc -w; touch /proc/acpi/x',
    );
    for (const m of r.stdout.split('\n')[0]!.trim().split(' ')) expect(m).toMatch(/:0$/);
    expect(r.stdout).toContain('/proc/keys:0');
    expect(r.stdout.split('\n').slice(1, 3)).toEqual(['0', '0']);
    expect(r.stderr).toMatch(/Read-only file system/);
  });

  it('cannot write /proc/sysrq-trigger or /proc/sys', async () => {
    const r = await sh('echo h > /proc/sysrq-trigger; echo $?; echo evil > /proc/sys/kernel/hostname; echo $?; echo 1 > /proc/sys/vm/drop_caches; echo $?');
    expect(r.stdout).toBe('1\n1\n1\n'); // each write fails
    expect(r.stderr).toMatch(/Read-only file system/);
    expect(fs.readFileSync('/proc/sys/kernel/hostname', 'utf8')).not.toBe('evil\n');
  });

  it('sees no host process, and cannot ptrace one', async () => {
    // The glob is expanded by the shell itself: no other process of ours runs meanwhile.
    const r = await sh(`echo /proc/[0-9]*; exec probe ptrace:${process.pid}`);
    expect(r.stdout).toBe(`/proc/1\nptrace:${process.pid} ESRCH\n`);
  });

  it("cannot reach the host's network interfaces", async () => {
    const server = net.createServer((s) => s.end('host service\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const r = await sh(`ls /sys/class/net; ip -o link | wc -l; nc -w 1 127.0.0.1 ${port} < /dev/null; echo nc=$?`);
      expect(r.stdout).toBe('lo\n1\nnc=1\n');
      expect(r.stdout).not.toContain('host service');
    } finally {
      server.close();
    }
  });

  it('can create a device node but not use it', async () => {
    const dev = fs.statSync('/').dev;
    const [major, minor] = [(dev >> 8) & 0xfff, (dev & 0xff) | ((dev >> 12) & 0xfff00)];
    const r = await sh(
      `for d in /tmp /dev /dev/shm; do mknod $d/mem c 1 1 && mknod $d/disk b ${major} ${minor} && echo made; head -c 1 $d/mem > /dev/null; echo mem=$?; head -c 1 $d/disk > /dev/null; echo disk=$?; done`,
    );
    expect(r.stdout.match(/^made$/gm)?.length).toBe(3); // mknod works (CAP_MKNOD is Docker's) ...
    expect(r.stdout).not.toMatch(/=0$/m); // ... but every open fails: nodev everywhere
    expect(r.stderr).toMatch(/Permission denied/);
    // The devices Docker gives a container do work.
    expect((await sh('head -c 4 /dev/zero | wc -c; echo x > /dev/null && echo ok')).stdout).toBe('4\nok\n');
  });
});

describe('the filesystem ends at the container root', () => {
  it('resolves .. and symlinks inside the root, so host files can neither be read nor written', async () => {
    const up = '../'.repeat(20);
    const r = await sh(
      `cat ${up}${hostDir.slice(1)}/secret; ln -s ${hostDir} /tmp/link; cat /tmp/link/secret; cat /evil/secret; ` +
        `echo pwned > ${up}${hostDir.slice(1)}/pwned; echo pwned > /evil/pwned; cd ${up} && pwd && ls /`,
    );
    expect(r.stdout).not.toContain('host secret');
    expect(fs.readdirSync(hostDir)).toEqual(['secret']);
    expect(r.stdout).toMatch(/^\/\n/m);
  });

  it('lands a bind mount whose destination is behind an image symlink inside the root', async () => {
    const src = fs.mkdtempSync(path.join(tmp, 'bind-'));
    fs.writeFileSync(path.join(src, 'file'), 'bound\n');
    // /evil -> hostDir in the image: a naive runtime would mount onto the host's hostDir/target.
    const s = spec(['cat', '/evil/target/file'], { binds: [{ source: src, destination: '/evil/target' }] });
    const r = await run(s);
    expect(r).toMatchObject({ stdout: 'bound\n', exitCode: 0 });
    expect(fs.readdirSync(hostDir)).toEqual(['secret']);
    expect(fs.existsSync(path.join(s.upperdir, hostDir, 'target'))).toBe(true); // created inside the container's own layer
  });

  it('honours read-only and read-write binds, both nodev', async () => {
    const ro = fs.mkdtempSync(path.join(tmp, 'ro-'));
    const rw = fs.mkdtempSync(path.join(tmp, 'rw-'));
    const r = await sh('touch /data/ro/x; echo ro=$?; echo hi > /data/rw/x; echo rw=$?; grep /data /proc/mounts | cut -d" " -f2,4', {
      binds: [
        { source: ro, destination: '/data/ro', readonly: true },
        { source: rw, destination: '/data/rw' },
      ],
    });
    expect(r.stdout).toMatch(/^ro=1\nrw=0\n\/data\/ro ro,nodev,.*\n\/data\/rw rw,nodev,/);
    expect(fs.readdirSync(ro)).toEqual([]);
    expect(fs.readFileSync(path.join(rw, 'x'), 'utf8')).toBe('hi\n');
  });

  it('keeps the root read-only with readonlyRootfs, /dev/shm writable', async () => {
    const r = await sh('touch /x; echo root=$?; touch /tmp/x; echo tmp=$?; touch /dev/shm/x; echo shm=$?', { readonlyRootfs: true });
    expect(r.stdout).toBe('root=1\ntmp=1\nshm=0\n');
    expect(r.stderr).toMatch(/Read-only file system/);
  });
});

const cgroupDirs = (p: string) =>
  Object.values(cgroupInfo().mounts)
    .filter((m, i, all) => all.indexOf(m) === i)
    .map((m) => path.join(m, p));

describe('cgroups keep a container a good neighbour', () => {
  it(`uses the host's cgroup layout`, () => {
    const info = cgroupInfo();
    expect([1, 2]).toContain(info.version);
    if (info.version === 1) for (const c of ['memory', 'cpu', 'pids']) expect(info.mounts[c]).toBeTruthy();
  });

  it('runs in its own cgroup, behind a cgroup namespace, with the limits asked for', async () => {
    const cg = `${cgroupParent}/limits`;
    const s = spec(['sh', '-c', 'cat /proc/self/cgroup; exec sleep 10'], {
      cgroup: { path: cg, memory: 64 << 20, cpus: 0.5, pidsLimit: 100, cpuShares: 512 },
    });
    const c = await spawnContainer(s);
    const output = openPipe(c.stdout);
    let out = '';
    await new Promise<void>((resolve) => output.on('data', (d: Buffer) => ((out += String(d)), resolve())));
    const stderr = readAll(c.stderr);
    try {
      const stats = await cgroupStats(cg);
      expect(stats.memoryLimit).toBe(64 << 20);
      expect(stats.pids).toBeGreaterThanOrEqual(1);
      expect(stats.memory).toBeGreaterThan(0);
      expect(stats.cpuNs).toBeGreaterThan(0);
      const info = cgroupInfo();
      if (info.version === 1) {
        const read = (ctrl: string, f: string) => fs.readFileSync(path.join(info.mounts[ctrl]!, cg, f), 'utf8').trim();
        expect(read('cpu', 'cpu.cfs_quota_us')).toBe('50000');
        expect(read('cpu', 'cpu.shares')).toBe('512');
        expect(read('pids', 'pids.max')).toBe('100');
        expect(read('pids', 'cgroup.procs').split('\n')).toContain(String(c.pid));
      } else {
        const read = (f: string) => fs.readFileSync(path.join(info.mounts.unified!, cg, f), 'utf8').trim();
        expect(read('cpu.max')).toBe('50000 100000');
        expect(read('pids.max')).toBe('100');
        expect(read('cgroup.procs').split('\n')).toContain(String(c.pid));
      }
    } finally {
      killContainer(c.pid, 9);
      await Promise.all([new Promise((r) => output.on('close', r)), stderr, waitContainer(c.pid)]);
      // The cgroup namespace: the container sees its own cgroup as the root.
      for (const line of out.trim().split('\n')) expect(line).toMatch(/:\/$/);
    }
    await removeCgroup(cg);
    for (const d of cgroupDirs(cg)) expect(fs.existsSync(d)).toBe(false);
  });

  it('stops a fork bomb at pidsLimit, and the host keeps working', async () => {
    const cg = `${cgroupParent}/bomb`;
    const info = cgroupInfo();
    const events = path.join(info.version === 2 ? info.mounts.unified! : info.mounts.pids!, cg, 'pids.events');
    const refusedForks = () => Number(/^max (\d+)/m.exec(fs.readFileSync(events, 'utf8'))?.[1] ?? 0);
    const c = await spawnContainer(spec(['sh', '-c', 'f() { f | f & }; f; sleep 5'], { cgroup: { path: cg, pidsLimit: 32 } }));
    const stderr = readAll(c.stderr);
    void readAll(c.stdout);
    try {
      // The bomb grows until the kernel refuses its forks (pids.events counts each refusal) ...
      for (const deadline = Date.now() + 10_000; refusedForks() === 0 && Date.now() < deadline; )
        await new Promise((r) => setTimeout(r, 20));
      expect(refusedForks()).toBeGreaterThan(0);
      // ... and never gets past the limit.
      for (let i = 0; i < 10; i++) {
        expect((await cgroupStats(cg)).pids).toBeLessThanOrEqual(32);
        await new Promise((r) => setTimeout(r, 20));
      }
      expect((await sh('echo still here')).stdout).toBe('still here\n'); // the host (and its other containers) go on
    } finally {
      await removeCgroup(cg); // kills every process of the bomb, then removes the cgroup
      expect(await waitContainer(c.pid)).toEqual({ exitCode: null, signal: 9 });
    }
    expect(await stderr).toMatch(/can't fork|Resource temporarily unavailable/);
    for (const d of cgroupDirs(cg)) expect(fs.existsSync(d)).toBe(false);
  });

  it('OOM-kills a memory hog under its memory limit and reports it, while a neighbour goes on', async () => {
    const cg = `${cgroupParent}/hog`;
    const neighbour = run(spec(['sh', '-c', 'sleep 1; echo alive']));
    // The hog is the container's only process (dd's 64 MiB block, filled from /dev/zero): with a shell
    // and a pipeline in the cgroup, a loaded host sometimes had the OOM killer take the shell instead.
    const r = await run(spec(['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'], { cgroup: { path: cg, memory: 32 << 20 } }));
    expect(r).toMatchObject({ exitCode: null, signal: 9 }); // the worker reports this as 137 (exit-status.ts), as `docker run` exits
    expect(await containerOomKilled(cg)).toBe(true);
    expect((await cgroupStats(cg)).oomKills).toBeGreaterThanOrEqual(1);
    expect((await neighbour).stdout).toBe('alive\n');
    await removeCgroup(cg);
    expect(await containerOomKilled(`${cgroupParent}/limits-never-oom`).catch((e: unknown) => e)).toBeInstanceOf(NativeError);
  });

  it('leaves no cgroup behind when the container fails to start', async () => {
    const cg = `${cgroupParent}/failed`;
    await expect(spawnContainer(spec(['no-such-command'], { cgroup: { path: cg, pidsLimit: 10 } }))).rejects.toMatchObject({
      stage: 'exec',
      code: 'ENOENT',
    });
    for (const d of cgroupDirs(cg)) expect(fs.existsSync(d)).toBe(false);
  });

  it('works the same on a cgroup v2 (unified) hierarchy', async () => {
    // On a v2-only host the tests above already run on v2; on a hybrid host (v1 controllers plus
    // a cgroup2 mount) this forces the cgroup2 mount in a child process, which is how the layout is chosen.
    const addon = fileURLToPath(new URL('../build/Release/berth_native.node', import.meta.url));
    const cg = `${cgroupParent}-v2/c`;
    const s = spec(['sh', '-c', 'cat /proc/self/cgroup; exec sleep 30'], { cgroup: { path: cg } });
    const script = `
      const fs = require('fs');
      const b = require(${JSON.stringify(addon)});
      (async () => {
        const info = b.cgroupInfo();
        if (info.version !== 2) throw new Error('no cgroup2 mount on this host: ' + JSON.stringify(info));
        const c = await b.spawn(${JSON.stringify(s)});
        const procs = fs.readFileSync(info.mounts.unified + '/${cg}/cgroup.procs', 'utf8').trim();
        await new Promise((r) => setTimeout(r, 100));
        const stats = await b.cgroupStats('${cg}');
        await b.removeCgroup('${cgroupParent}-v2'); // cgroup.kill, then rmdir
        const status = await b.wait(c.pid);
        console.log(JSON.stringify({ pid: c.pid, procs, stats, status, left: fs.existsSync(info.mounts.unified + '/${cg}') }));
      })(); // a rejection ends the probe with code 1 and its stack on stderr (Node 20's default)`;
    const out = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, BERTH_CGROUP_MODE: 'v2' }, encoding: 'utf8' });
    const r = JSON.parse(out) as { pid: number; procs: string; stats: { cpuNs: number; pids: number }; status: unknown; left: boolean };
    expect(r.procs.split('\n')).toContain(String(r.pid));
    expect(r.stats.cpuNs).toBeGreaterThan(0);
    expect(r.stats.pids).toBe(1);
    expect(r.status).toEqual({ exitCode: null, signal: 9 });
    expect(r.left).toBe(false);
  });

  it('refuses a cgroup path that leaves the hierarchy', async () => {
    await expect(spawnContainer(spec(['true'], { cgroup: { path: '../escape' } }))).rejects.toThrow(/RunSpec.cgroup.path/);
    await expect(spawnContainer(spec(['true'], { cgroup: { path: '/abs' } }))).rejects.toThrow(TypeError);
    await expect(removeCgroup('a/../../b')).rejects.toThrow(TypeError);
  });
});

/** Collects everything a pty master yields until the terminal hangs up. */
function collectPty(fd: number) {
  const stream = openPty(fd);
  let text = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  stream.on('data', (d: Buffer) => {
    text += String(d);
    for (const w of waiters.splice(0)) {
      if (w.re.test(text)) w.resolve();
      else waiters.push(w);
    }
  });
  const ended = new Promise<string>((resolve) => stream.on('end', () => resolve(text)));
  return {
    stream,
    ended,
    until: (re: RegExp) => (re.test(text) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ re, resolve }))),
  };
}

const ps = async (pid: number) => {
  const e = await execInContainer(pid, { args: ['ps', '-o', 'pid,ppid,stat,args'], env: ['PATH=/bin'] });
  const [out] = await Promise.all([readAll(e.stdout), readAll(e.stderr), waitContainer(e.pid)]);
  return out;
};

describe('processes: terminals, exec and init', () => {
  it('gives the program a terminal, and a resize reaches it (stty size)', async () => {
    const c = await spawnContainer(spec(['sh', '-c', 'tty; stty size; read line; echo "got $line"; stty size'], { tty: true, ttySize: { cols: 80, rows: 24 } }));
    const pty = collectPty(c.pty);
    await pty.until(/24 80\r\n/);
    resizePty(c.pty, 132, 43);
    pty.stream.write('hello\n');
    expect(await waitContainer(c.pid)).toEqual({ exitCode: 0, signal: null });
    expect(await pty.ended).toBe('/dev/pts/0\r\n24 80\r\nhello\r\ngot hello\r\n43 132\r\n');
  });

  it('execs into a running container: its processes, files, cgroup and restrictions', async () => {
    const cg = `${cgroupParent}/exec`;
    const c = await spawnContainer(spec(['sh', '-c', 'echo from-the-container > /tmp/f; exec sleep 30'], { cgroup: { path: cg } }));
    const [stdout, stderr] = [readAll(c.stdout), readAll(c.stderr)];
    try {
      await new Promise((r) => setTimeout(r, 100));
      const e = await execInContainer(c.pid, {
        args: ['sh', '-c', 'ps -o pid,args; cat /tmp/f; hostname; cat /proc/self/cgroup; grep -E "CapEff|NoNewPrivs|Seccomp:" /proc/self/status; probe mount setns'],
        env: ['PATH=/bin:/probe'],
      });
      const [out, err, status] = await Promise.all([readAll(e.stdout), readAll(e.stderr), waitContainer(e.pid)]);
      expect(err).toBe('');
      expect(status).toEqual({ exitCode: 0, signal: null });
      expect(out).toMatch(/^PID\s+COMMAND\n\s+1 sleep 30\n\s+\d+ sh -c ps/);
      expect(out).toContain('from-the-container\nisolated\n');
      for (const line of out.split('\n').filter((l) => /^\d+:/.test(l))) expect(line).toMatch(/:\/$/); // inside the container's cgroup
      expect(out).toContain('CapEff:\t00000000a80425fb\nNoNewPrivs:\t1\nSeccomp:\t2\nmount EPERM\nsetns EPERM\n');

      // With a terminal, as another user.
      const t = await execInContainer(c.pid, { args: ['sh', '-c', 'tty; id -u; stty size'], env: ['PATH=/bin'], uid: 1000, gid: 1000, tty: true, ttySize: { cols: 50, rows: 10 } });
      const pty = collectPty(t.pty);
      expect(await waitContainer(t.pid)).toEqual({ exitCode: 0, signal: null });
      expect(await pty.ended).toBe('/dev/pts/0\r\n1000\r\n10 50\r\n');

      const failed = await execInContainer(c.pid, { args: ['no-such-command'] }).catch((x: unknown) => x);
      expect(failed).toBeInstanceOf(NativeError);
      expect(failed).toMatchObject({ stage: 'exec', code: 'ENOENT', syscall: 'execve' });
    } finally {
      killContainer(c.pid, 9);
      await Promise.all([stdout, stderr, waitContainer(c.pid)]);
      await removeCgroup(cg);
    }
  });

  it('with init: true, pid 1 reaps orphaned zombies, forwards signals and exits like the command', async () => {
    const script = 'trap "echo got TERM; exit 7" TERM; sh -c "sleep 0.1 &"; while :; do sleep 0.05; done';
    const plain = await spawnContainer(spec(['sh', '-c', 'sh -c "sleep 0.1 &"; exec sleep 30']));
    const withInit = await spawnContainer(spec(['sh', '-c', script], { init: true }));
    const outputs = [plain, withInit].map((c) => Promise.all([readAll(c.stdout), readAll(c.stderr)]));
    await new Promise((r) => setTimeout(r, 400));
    // Orphans are adopted by pid 1: a zombie whose parent is 1 is one pid 1 did not reap. (The
    // shell's own `sleep 0.05` can be caught as a zombie for an instant before the shell waits for it.)
    const orphanZombie = /^\s*\d+\s+1\s+Z\s+\[sleep\]/m;
    expect(await ps(plain.pid)).toMatch(orphanZombie); // a plain `sleep` as pid 1 never reaps its adopted orphan
    const tree = await ps(withInit.pid);
    expect(tree).toMatch(/^\s+1\s+0\s+\S+\s+berth-init -- sh -c/m);
    expect(tree).not.toMatch(orphanZombie);

    killContainer(withInit.pid, 15); // to berth-init, which forwards it to the shell
    expect(await waitContainer(withInit.pid)).toEqual({ exitCode: 7, signal: null });
    expect((await outputs[1])[0]).toBe('got TERM\n');
    killContainer(plain.pid, 9);
    expect(await waitContainer(plain.pid)).toEqual({ exitCode: null, signal: 9 });
    await outputs[0];

    expect((await run(spec(['sh', '-c', 'kill -9 $$'], { init: true }))).exitCode).toBe(137); // 128 + SIGKILL
    await expect(spawnContainer(spec(['no-such-command'], { init: true }))).rejects.toMatchObject({ stage: 'exec', code: 'ENOENT' });
  });
});

describe('a user namespace remaps root', () => {
  it("makes the container's root an unprivileged host uid", async () => {
    const s = spec(['sh', '-c', 'id -u; cat /proc/self/uid_map; touch /made-here; stat -c %u /bin/busybox'], {
      userns: {
        uidMap: [{ containerID: 0, hostID: 100000, size: 65536 }],
        gidMap: [{ containerID: 0, hostID: 100000, size: 65536 }],
      },
    });
    // The container's own layer must belong to its root, as Docker's userns-remap chowns it.
    fs.chownSync(s.upperdir, 100000, 100000);
    fs.chownSync(s.workdir, 100000, 100000);
    const r = await run(s);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toBe('0');
    expect(r.stdout.split('\n')[1]!.trim().split(/\s+/)).toEqual(['0', '100000', '65536']);
    expect(r.stdout.split('\n')[2]).toBe('65534'); // host root's files: nobody, not root
    expect(fs.statSync(path.join(s.upperdir, 'made-here')).uid).toBe(100000);
  });
});

describe('nothing leaks', () => {
  it('1,000 sequential containers leave the fd count and the mount table as they were', async () => {
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    // Mounts that mention this suite's directories, where its layers and containers live (other test files, and
    // Docker, mount and unmount elsewhere on the host at the same time).
    const mounts = () =>
      fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(tmp)).join('\n');
    const root = containerDirs(tmp); // one set of dirs, reused: `true` writes nothing to its layer
    const warm = await spawnContainer(spec(['true'], root)); // seccomp filter cache, lazy fds
    fs.closeSync(warm.stdout);
    fs.closeSync(warm.stderr);
    await waitContainer(warm.pid);
    await new Promise((r) => setTimeout(r, 100)); // sockets of earlier tests finish closing
    const [fdsBefore, mountsBefore] = [fds(), mounts()];
    for (let i = 0; i < 1000; i++) {
      const c = await spawnContainer(spec(['true'], root));
      fs.closeSync(c.stdout);
      fs.closeSync(c.stderr);
      const status = await waitContainer(c.pid);
      if (status.exitCode !== 0) expect(status).toEqual({ exitCode: 0, signal: null });
    }
    expect(fds()).toBe(fdsBefore);
    expect(mounts()).toBe(mountsBefore);
  }, 300_000); // no speed asserted here (bench/runtime-vs-crun.mjs measures it); a loaded CI host may take minutes

  it('leaves no fd, zombie or mount behind after exec, tty and failed starts', async () => {
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    const c = await spawnContainer(spec(['sleep', '30']));
    fs.closeSync(c.stdout);
    fs.closeSync(c.stderr);
    await new Promise((r) => setTimeout(r, 100)); // sockets of earlier tests finish closing
    const before = fds();
    for (let i = 0; i < 20; i++) {
      const e = await execInContainer(c.pid, { args: ['true'] });
      fs.closeSync(e.stdout);
      fs.closeSync(e.stderr);
      expect(await waitContainer(e.pid)).toEqual({ exitCode: 0, signal: null });
      await execInContainer(c.pid, { args: ['nope'] }).catch(() => undefined);
      const t = await spawnContainer(spec(['true'], { tty: true }));
      fs.closeSync(t.pty);
      await waitContainer(t.pid);
      await spawnContainer(spec(['true'], { cwd: '/nope' })).catch(() => undefined);
    }
    expect(fds()).toBe(before);
    killContainer(c.pid, 9);
    await waitContainer(c.pid);
    const zombies = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && (() => {
      try {
        const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
        return / Z /.test(stat) && stat.split(') ')[1]!.split(' ')[1] === String(process.pid);
      } catch {
        return false;
      }
    })());
    expect(zombies).toEqual([]);
  });
});
