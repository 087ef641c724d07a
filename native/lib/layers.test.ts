// Many lower layers: more than fit in one mount(2) option string (a page), up to the
// kernel's overlayfs maximum of 500. Real containers, real overlay mounts.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NativeError, spawnContainer, type RunSpec } from './index.js';
import { makeBusyboxLayer, containerDirs, runToEnd as run } from './test-rootfs.js';

let tmp = '';
let busybox = '';
let layers: string[] = []; // layers[i] adds /layer-i; lowerdirs order: layers[0] is topmost
const LAYERS = 500;

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('native tests need root (namespaces, overlay mounts)');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-layers-'));
  busybox = path.join(tmp, 'snapshots', 'busybox', 'fs');
  makeBusyboxLayer(busybox);
  // Paths shaped like Berth's: $BERTH_HOME/snapshots/<64 hex>/fs.
  layers = Array.from({ length: LAYERS }, (_, i) => {
    const dir = path.join(tmp, 'snapshots', createHash('sha256').update(`layer-${i}`).digest('hex'), 'fs');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `layer-${i}`), `${i}\n`);
    return dir;
  });
  // A file in two layers: the upper one (lower index) must win.
  fs.writeFileSync(path.join(layers[3]!, 'dup'), 'from layer 3\n');
  fs.writeFileSync(path.join(layers[60]!, 'dup'), 'from layer 60\n');
});

afterAll(() => {
  if (tmp !== '') fs.rmSync(tmp, { recursive: true, force: true });
});

afterEach(() => {
  delete process.env.BERTH_OVERLAY_MOUNT;
});

/** The first `n` layers over busybox: n + 1 lowerdirs. */
function spec(n: number, args: string[]): RunSpec {
  return {
    ...containerDirs(tmp),
    lowerdirs: [...layers.slice(0, n), busybox],
    args,
    env: ['PATH=/bin'],
    cwd: '/',
    hostname: 'layers',
    uid: 0,
    gid: 0,
  };
}


function optionBytes(s: RunSpec): number {
  return Buffer.byteLength(`lowerdir=${s.lowerdirs.join(':')},upperdir=${s.upperdir},workdir=${s.workdir}`);
}

const listing = (last: number) => ['sh', '-c', `ls / | grep -c "^layer-"; cat /layer-0 /layer-${last} /dup`];

describe('many lower layers', () => {
  it('runs over 80 layers (beyond one page of mount options), every file seen, topmost first', async () => {
    const s = spec(80, listing(79));
    expect(s.lowerdirs).toHaveLength(81);
    expect(optionBytes(s)).toBeGreaterThan(4096);
    expect(await run(s)).toMatchObject({ stdout: '80\n0\n79\nfrom layer 3\n', stderr: '', exitCode: 0 });
  });

  it("runs over the kernel's maximum of 500 layers", async () => {
    const s = spec(499, listing(498));
    expect(s.lowerdirs).toHaveLength(500);
    expect(await run(s)).toMatchObject({ stdout: '499\n0\n498\nfrom layer 3\n', stderr: '', exitCode: 0 });
  });

  it('refuses 501 layers with an error naming the limit, before any syscall', async () => {
    const s = spec(1, ['true']);
    s.lowerdirs = [...layers, busybox];
    expect(s.lowerdirs).toHaveLength(501);
    await expect(spawnContainer(s)).rejects.toThrow(TypeError);
    await expect(spawnContainer(s)).rejects.toThrow(/RunSpec\.lowerdirs: 501 layers exceed the kernel's overlayfs maximum of 500/);
  });

  it('names the missing layer at the overlay stage', async () => {
    const s = spec(40, ['true']);
    const missing = path.join(tmp, 'snapshots', 'missing', 'fs');
    s.lowerdirs.splice(20, 0, missing);
    const error: unknown = await spawnContainer(s).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NativeError);
    expect(error).toMatchObject({ code: 'ENOENT', stage: 'overlay', syscall: 'fsconfig', path: missing });
  });
});

// The mount(2) fallback of kernels without fsconfig("lowerdir+") (< 6.8), forced here.
describe('many lower layers, mount(2) fallback', () => {
  it('uses absolute paths while they fit in a page', async () => {
    process.env.BERTH_OVERLAY_MOUNT = 'legacy';
    const s = spec(10, listing(9));
    expect(optionBytes(s)).toBeLessThan(4096);
    expect(await run(s)).toMatchObject({ stdout: '10\n0\n9\nfrom layer 3\n', stderr: '', exitCode: 0 });
  });

  it("uses paths relative to the layers' common parent beyond a page", async () => {
    process.env.BERTH_OVERLAY_MOUNT = 'legacy';
    const s = spec(50, listing(49));
    expect(optionBytes(s)).toBeGreaterThan(4096);
    expect(await run(s)).toMatchObject({ stdout: '50\n0\n49\nfrom layer 3\n', stderr: '', exitCode: 0 });
  });

  it('fails with E2BIG at the overlay stage when even relative paths exceed a page', async () => {
    process.env.BERTH_OVERLAY_MOUNT = 'legacy';
    const error: unknown = await spawnContainer(spec(80, ['true'])).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NativeError);
    expect(error).toMatchObject({ code: 'E2BIG', stage: 'overlay', syscall: 'mount' });
  });
});
