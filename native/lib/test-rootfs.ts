import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openPipe, spawnContainer, waitContainer } from './index.js';
import type { RunSpec } from './types.js';

/**
 * Makes an image layer at `dir` from the host's static busybox (Debian busybox-static):
 * bin/busybox, a bin/<applet> symlink per applet, and empty proc, dev, sys, tmp, etc, root.
 * Throws, with the reason, where no static busybox exists.
 */
export function makeBusyboxLayer(dir: string, busybox = '/bin/busybox'): void {
  if (!fs.existsSync(busybox))
    throw new Error(`makeBusyboxLayer: ${busybox} not found (apt-get install busybox-static)`);
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.copyFileSync(busybox, path.join(bin, 'busybox'));
  fs.chmodSync(path.join(bin, 'busybox'), 0o755);
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) {
    if (applet !== 'busybox') fs.symlinkSync('busybox', path.join(bin, applet));
  }
  for (const d of ['proc', 'dev', 'sys', 'etc', 'root']) fs.mkdirSync(path.join(dir, d), { mode: 0o755 });
  fs.mkdirSync(path.join(dir, 'tmp'));
  fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
}

let dirCounter = 0;
/** A fresh rootfs/upperdir/workdir set under `base` for one container. */
export function containerDirs(base: string): Pick<RunSpec, 'rootfs' | 'upperdir' | 'workdir'> {
  const dir = path.join(base, `c${dirCounter++}`);
  const dirs = { rootfs: path.join(dir, 'rootfs'), upperdir: path.join(dir, 'upper'), workdir: path.join(dir, 'work') };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  return dirs;
}

/** Everything a pipe fd delivers until EOF. */
export async function readAll(fd: number): Promise<string> {
  let out = '';
  for await (const chunk of openPipe(fd)) out += String(chunk);
  return out;
}

/** Runs a container with pipes to its end: its output and how it ended. */
export async function runToEnd(s: RunSpec) {
  const c = await spawnContainer({ ...s, tty: false });
  const [stdout, stderr, status] = await Promise.all([readAll(c.stdout), readAll(c.stderr), waitContainer(c.pid)]);
  return { pid: c.pid, stdout, stderr, ...status };
}
