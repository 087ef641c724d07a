import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cgroupInfo, cgroupStats, freezeCgroup, killContainer, removeCgroup, spawnContainer, waitContainer } from './index.js';
import { containerDirs, makeBusyboxLayer } from './test-rootfs.js';
import type { RunSpec } from './types.js';

// pause/unpause's cgroup freezer (v1 freezer.state, v2 cgroup.freeze) and stats' block I/O.
let tmp = '';
let busybox = '';
const cgroupParent = `berth-freeze-test-${process.pid}`;

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('freezer tests need root (namespaces, overlay mounts, cgroups)');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-freeze-'));
  busybox = path.join(tmp, 'busybox');
  makeBusyboxLayer(busybox);
});

afterAll(async () => {
  await removeCgroup(cgroupParent).catch(() => undefined);
  await removeCgroup(`${cgroupParent}-v2`).catch(() => undefined);
  if (tmp !== '') fs.rmSync(tmp, { recursive: true, force: true });
});

const spec = (args: string[], cgroup: string): RunSpec => ({
  ...containerDirs(tmp),
  lowerdirs: [busybox],
  args,
  env: ['PATH=/bin'],
  cwd: '/',
  hostname: 'frozen',
  uid: 0,
  gid: 0,
  cgroup: { path: cgroup },
});

/** A counter the container advances every 50 ms, read from its upper dir. */
const counting = ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done'];
const readCounter = (upper: string) => {
  try {
    return Number(fs.readFileSync(path.join(upper, 'tmp/n'), 'utf8'));
  } catch {
    return 0;
  }
};
async function until(check: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('freezeCgroup', () => {
  it('stops every process of the cgroup and lets them go on again', async () => {
    const s = spec(counting, `${cgroupParent}/c`);
    const c = await spawnContainer({ ...s, tty: false });
    await until(() => readCounter(s.upperdir) > 2);
    await freezeCgroup(`${cgroupParent}/c`, true);
    const frozen = readCounter(s.upperdir);
    await new Promise((r) => setTimeout(r, 500));
    expect(readCounter(s.upperdir)).toBe(frozen);
    await freezeCgroup(`${cgroupParent}/c`, false);
    await until(() => readCounter(s.upperdir) > frozen + 2);
    // Block I/O is counted where the blkio (v1) / io (v2) controller is there, else null.
    const stats = await cgroupStats(`${cgroupParent}/c`);
    const info = cgroupInfo();
    const hasIo = info.version === 1 ? 'blkio' in info.mounts : fs.existsSync(path.join(info.mounts.unified ?? '', cgroupParent, 'c', 'io.stat'));
    expect(typeof stats.ioReadBytes).toBe(hasIo ? 'number' : 'object');
    expect(typeof stats.ioWriteBytes).toBe(hasIo ? 'number' : 'object');
    // SIGKILL to a frozen container takes effect once thawed (Docker's stop of a paused one).
    await freezeCgroup(`${cgroupParent}/c`, true);
    killContainer(c.pid, 9);
    await freezeCgroup(`${cgroupParent}/c`, false);
    expect(await waitContainer(c.pid)).toEqual({ exitCode: null, signal: 9 });
    await removeCgroup(`${cgroupParent}/c`);
  });

  it('refuses a cgroup that does not exist, and a bad argument', async () => {
    await expect(freezeCgroup(`${cgroupParent}/nosuch`, true)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(freezeCgroup('../x', true)).rejects.toThrow(TypeError);
    // @ts-expect-error: a wrong type on purpose
    await expect(freezeCgroup(`${cgroupParent}/c`, 'yes')).rejects.toThrow(TypeError);
  });

  it('works on the cgroup2 mount too (cgroup.freeze, cgroup.events)', () => {
    const addon = fileURLToPath(new URL('../build/Release/berth_native.node', import.meta.url));
    const cg = `${cgroupParent}-v2/c`;
    const s = spec(counting, cg);
    const script = `
      const fs = require('fs');
      const b = require(${JSON.stringify(addon)});
      const read = () => { try { return Number(fs.readFileSync(${JSON.stringify(path.join(s.upperdir, 'tmp/n'))}, 'utf8')); } catch { return 0; } };
      const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
      (async () => {
        const info = b.cgroupInfo();
        if (info.version !== 2) throw new Error('no cgroup2 mount on this host: ' + JSON.stringify(info));
        const c = await b.spawn(${JSON.stringify(s)});
        for (let i = 0; i < 500 && read() < 3; i++) await sleep(20);
        await b.freezeCgroup('${cg}', true);
        const events = fs.readFileSync(info.mounts.unified + '/${cg}/cgroup.events', 'utf8');
        const frozen = read();
        await sleep(500);
        const still = read();
        await b.freezeCgroup('${cg}', false);
        for (let i = 0; i < 500 && read() < frozen + 2; i++) await sleep(20);
        const after = read();
        await b.removeCgroup('${cgroupParent}-v2');
        await b.wait(c.pid);
        console.log(JSON.stringify({ events, frozen, still, after }));
      })(); // a rejection ends the probe with code 1 and its stack on stderr (Node 20's default)`;
    const out = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, BERTH_CGROUP_MODE: 'v2' }, encoding: 'utf8' });
    const r = JSON.parse(out) as { events: string; frozen: number; still: number; after: number };
    expect(r.events).toContain('frozen 1');
    expect(r.still).toBe(r.frozen);
    expect(r.after).toBeGreaterThan(r.frozen);
  });
});
