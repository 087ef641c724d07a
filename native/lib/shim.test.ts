// berth-shim: the container's parent instead of this process, holding its output while nobody
// reads it and reporting its exit to whoever connects next. Real namespaces, a real busybox.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { NativeError, killContainer, openPipe, shimOpen, shimRelease, shimWait, spawnContainer, type RunSpec } from './index.js';
import { containerDirs, makeBusyboxLayer } from './test-rootfs.js';

let tmp = '';
let layer = '';

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('native tests need root (namespaces, overlay mounts)');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-shim-'));
  layer = path.join(tmp, 'layer');
  makeBusyboxLayer(layer);
});

afterAll(() => {
  if (tmp !== '') fs.rmSync(tmp, { recursive: true, force: true });
});

function spec(name: string, args: string[]): RunSpec {
  const base = path.join(tmp, name);
  fs.mkdirSync(base, { recursive: true });
  return { ...containerDirs(base), lowerdirs: [layer], args, env: ['PATH=/bin'], cwd: '/', hostname: 'shim', uid: 0, gid: 0, shim: { dir: base } };
}

function status(pid: number): Record<string, string> {
  return Object.fromEntries(fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').filter(Boolean).map((l) => l.split(':\t') as [string, string]));
}

function readSome(fd: number, until: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = openPipe(fd);
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      text += d;
      if (until(text)) {
        s.destroy();
        resolve(text);
      }
    });
    s.once('error', reject);
    s.once('end', () => resolve(text));
  });
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

it('the container is the shim\'s child, keeps writing while nobody reads, and its exit reaches the next reader', async () => {
  const s = spec('counter', ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo line $i; sleep 0.05; done']);
  const c = await spawnContainer(s);
  const shimPid = Number(status(c.pid).PPid);
  expect(fs.readFileSync(`/proc/${shimPid}/cmdline`, 'utf8').split('\0')[0]).toMatch(/berth-shim$/);
  // Its own session: neither this process's death nor a signal to its group reaches it.
  expect(fs.readFileSync(`/proc/${shimPid}/stat`, 'utf8').split(') ')[1]!.split(' ')[3]).not.toBe(String(process.pid));
  const first = await shimOpen(s.shim!.dir, [c.stdout, c.stderr]);
  expect(first.exit).toBeNull();
  expect(first.pid).toBe(c.pid);
  // This "worker" goes away: its ends of the pipes and its connection close.
  for (const fd of [c.stdout, c.stderr, ...first.fds, first.conn]) fs.closeSync(fd);
  await new Promise((r) => setTimeout(r, 300));
  expect(fs.existsSync(`/proc/${c.pid}`)).toBe(true);
  // The next one gets the output, from the first line on (nobody read it), and then the exit.
  const next = await shimOpen(s.shim!.dir);
  expect(next.fds).toHaveLength(2);
  const text = await readSome(next.fds[0]!, (t) => /line 8\n/.test(t));
  expect(text.startsWith('line 1\nline 2\n')).toBe(true);
  fs.closeSync(next.fds[1]!);
  killContainer(c.pid, 9);
  expect(await shimWait(next.conn)).toEqual({ exitCode: null, signal: 9 });
  expect(JSON.parse(fs.readFileSync(path.join(s.shim!.dir, 'shim.exit'), 'utf8'))).toEqual({ exitCode: null, signal: 9 });
  shimRelease(next.conn);
  await until('the shim to exit', () => !fs.existsSync(`/proc/${shimPid}`) || status(shimPid).State.startsWith('Z'));
  expect(fs.existsSync(path.join(s.shim!.dir, 'shim.sock'))).toBe(false);
}, 30_000);

it('an exit while nobody is connected is kept for the next one, with its real code', async () => {
  const s = spec('exits', ['sh', '-c', 'read x; echo bye; exit 3']);
  const c = await spawnContainer({ ...s, openStdin: true });
  const first = await shimOpen(s.shim!.dir, [c.stdout, c.stderr]);
  for (const fd of [c.stdout, c.stderr, ...first.fds, first.conn]) fs.closeSync(fd);
  fs.writeSync(c.stdin!, 'go\n');
  fs.closeSync(c.stdin!);
  await until('the exit file', () => fs.existsSync(path.join(s.shim!.dir, 'shim.exit')));
  const next = await shimOpen(s.shim!.dir);
  expect(next.exit).toEqual({ exitCode: 3, signal: null });
  expect(await readSome(next.fds[0]!, () => false)).toBe('bye\n');
  fs.closeSync(next.fds[1]!);
  shimRelease(next.conn);
  await until('the socket to go', () => !fs.existsSync(path.join(s.shim!.dir, 'shim.sock')));
}, 30_000);

it('a container that fails to start leaves no shim behind', async () => {
  const s = spec('missing', ['no-such-command']);
  const e: unknown = await spawnContainer(s).then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(NativeError);
  expect((e as NativeError).code).toBe('ENOENT');
  await until('the exit file', () => fs.existsSync(path.join(s.shim!.dir, 'shim.exit')));
  await until('the socket to go', () => !fs.existsSync(path.join(s.shim!.dir, 'shim.sock')));
  await expect(shimOpen(s.shim!.dir)).rejects.toThrow(NativeError);
}, 30_000);

it('opening a shim that does not answer leaves the event loop free, and is answered once it does', async () => {
  const s = spec('stopped-shim', ['sleep', '30']);
  const c = await spawnContainer(s);
  const shimPid = Number(status(c.pid).PPid);
  const first = await shimOpen(s.shim!.dir, [c.stdout, c.stderr]);
  for (const fd of [c.stdout, c.stderr, ...first.fds, first.conn]) fs.closeSync(fd);
  process.kill(shimPid, 'SIGSTOP');
  try {
    let settled = false;
    const opening = shimOpen(s.shim!.dir).finally(() => (settled = true));
    // Timers run while the shim is silent: the open waits on its own thread, not on this one.
    let ticks = 0;
    await until('timers to run while the open waits', () => ++ticks >= 3);
    expect(settled).toBe(false);
    process.kill(shimPid, 'SIGCONT');
    const next = await opening;
    expect(next.pid).toBe(c.pid);
    expect(next.exit).toBeNull();
    for (const fd of next.fds) fs.closeSync(fd);
    killContainer(c.pid, 9);
    expect(await shimWait(next.conn)).toEqual({ exitCode: null, signal: 9 });
    shimRelease(next.conn);
  } finally {
    process.kill(shimPid, 'SIGCONT');
  }
}, 30_000);
