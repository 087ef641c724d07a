import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

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
