import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openPipe, runSpecFromBundle, spawnFromBundle, waitContainer, type Spawned } from './index.js';
import { makeBusyboxLayer } from './test-rootfs.js';

// The same OCI bundle, made by `runc spec`, runs under runc and under Berth's addon alike.
let dir: string;
let bundle: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-oci-'));
  bundle = path.join(dir, 'bundle');
  fs.mkdirSync(bundle);
  makeBusyboxLayer(path.join(bundle, 'rootfs'));
  const runc = spawnSync('runc', ['spec'], { cwd: bundle, encoding: 'utf8' });
  if (runc.status !== 0) throw new Error(`runc spec failed (apt-get install runc): ${runc.stderr ?? runc.error}`);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

interface RuncConfig {
  process: { terminal: boolean; args: string[]; user: { uid: number; gid: number }; capabilities: { bounding: string[] } };
  linux: Record<string, unknown>;
  mounts: object[];
}

function setConfig(edit: (c: RuncConfig) => void) {
  const file = path.join(bundle, 'config.json');
  const c = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(c);
  fs.writeFileSync(file, JSON.stringify(c));
}

async function collect(s: Spawned) {
  let out = '';
  const o = openPipe(s.stdout).setEncoding('utf8');
  const ended = new Promise((r) => o.once('end', r));
  o.on('data', (d: string) => (out += d));
  openPipe(s.stderr).resume();
  const status = await waitContainer(s.pid);
  await ended;
  return { out, status };
}

it('runs a runc bundle with the same hostname, user, capabilities and root as runc does', async () => {
  const script = 'hostname; id -u; grep -E "^Cap(Eff|Bnd)" /proc/self/status; ls /; touch /x 2>&1 || echo ro';
  setConfig((c) => {
    c.process.terminal = false;
    c.process.args = ['sh', '-c', script];
    c.process.user = { uid: 1000, gid: 1000 };
  });
  const ours = await collect((await spawnFromBundle(bundle, { stateDir: path.join(dir, 'state') })) as Spawned);
  expect(ours.status).toEqual({ exitCode: 0, signal: null });
  const theirs = execFileSync('runc', ['--root', path.join(dir, 'runc-state'), 'run', '-b', bundle, `berth-oci-${process.pid}`], { encoding: 'utf8' });
  expect(ours.out).toBe(theirs);
  expect(ours.out).toMatch(/^runc\n1000\n/);
  expect(ours.out).toContain('ro'); // root.readonly from runc's default spec
  // The bundle itself was never written to.
  expect(fs.existsSync(path.join(bundle, 'rootfs', 'x'))).toBe(false);
});

it('maps resources, masked paths and capabilities, and refuses what it cannot honour', () => {
  setConfig((c) => {
    c.process.capabilities.bounding.push('CAP_NET_ADMIN');
    c.linux.resources = { memory: { limit: 64 * 1024 * 1024 }, cpu: { quota: 50_000, period: 100_000 }, pids: { limit: 20 } };
    c.linux.cgroupsPath = '/berth-oci-test/x';
  });
  const spec = runSpecFromBundle(bundle, { stateDir: path.join(dir, 'state') });
  expect(spec.capAdd).toEqual(['NET_ADMIN']);
  expect(spec.capDrop).toContain('CHOWN');
  expect(spec.cgroup).toEqual({ path: 'berth-oci-test/x', memory: 64 * 1024 * 1024, cpus: 0.5, pidsLimit: 20 });
  expect(spec.maskedPaths).toContain('/proc/kcore');
  expect(spec.lowerdirs).toEqual([path.join(bundle, 'rootfs')]);

  setConfig((c) => c.mounts.push({ destination: '/data', type: 'nfs', source: 'server:/x', options: [] }));
  expect(() => runSpecFromBundle(bundle, { stateDir: dir })).toThrow(/mounts\[\d+\]: type nfs at \/data is not supported/);
  fs.writeFileSync(path.join(bundle, 'config.json'), '{"ociVersion":"1.0.2"}');
  expect(() => runSpecFromBundle(bundle, { stateDir: dir })).toThrow(/config.json: process: required/);
});
