import fs from 'node:fs';
import path from 'node:path';
import type { BindMount, CgroupSpec, IdMapping, RunSpec } from './types.js';

/** Docker's default capability set, the baseline RunSpec.capAdd/capDrop are relative to. */
export const DOCKER_DEFAULT_CAPS = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID',
  'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
];

/** Mounts every container gets from the runtime itself; a bundle listing them changes nothing. */
const RUNTIME_MOUNTS = new Set(['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup']);

export interface BundleOptions {
  /**
   * A scratch directory of Berth's (empty, on one filesystem): the bundle's root becomes the
   * overlay's lower layer, so the bundle is never written to; upper/, work/ and mnt/ go here.
   */
  stateDir: string;
  /** cgroup path when the bundle sets resources but no linux.cgroupsPath. */
  cgroupPath?: string;
}

function fail(field: string, why: string): never {
  throw new TypeError(`config.json: ${field}: ${why}`);
}
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
function strings(field: string, v: unknown): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) fail(field, 'expected an array of strings');
  return v as string[];
}
function int(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(field, 'expected an integer');
  return v;
}
const capName = (c: string) => c.toUpperCase().replace(/^CAP_/, '');

function idMaps(field: string, v: unknown): IdMapping[] {
  if (!Array.isArray(v)) fail(field, 'expected an array');
  return v.map((m, i) => {
    if (!isObj(m)) fail(`${field}[${i}]`, 'expected { containerID, hostID, size }');
    return { containerID: int(`${field}[${i}].containerID`, m.containerID), hostID: int(`${field}[${i}].hostID`, m.hostID), size: int(`${field}[${i}].size`, m.size) };
  });
}

/**
 * An OCI runtime bundle (config.json + root) as the addon's RunSpec: the subset Berth runs,
 * validated, so the same bundle runs under crun, runc, berth-runtime and the addon. What the
 * addon always does whatever the bundle says: all six namespaces, Docker's seccomp policy,
 * the standard /proc, /dev and /sys mounts. Anything else it cannot honour is an error naming
 * the field, never silently dropped.
 */
export function runSpecFromBundle(bundle: string, opts: BundleOptions): RunSpec {
  const file = path.join(bundle, 'config.json');
  let config: unknown;
  try {
    config = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TypeError(`cannot read ${file}: ${(e as Error).message}`);
  }
  if (!isObj(config)) fail('(root)', 'expected an object');
  if (typeof config.ociVersion !== 'string') fail('ociVersion', 'expected a string');
  const p = config.process;
  if (!isObj(p)) fail('process', 'required');
  const args = strings('process.args', p.args);
  if (args.length === 0) fail('process.args', 'must not be empty');
  const user = isObj(p.user) ? p.user : {};
  const cwd = typeof p.cwd === 'string' ? p.cwd : '/';
  if (!cwd.startsWith('/')) fail('process.cwd', 'must be absolute');

  const root = config.root;
  if (!isObj(root) || typeof root.path !== 'string') fail('root.path', 'required');
  const rootPath = path.resolve(bundle, root.path);

  const spec: RunSpec = {
    rootfs: path.join(opts.stateDir, 'mnt'),
    lowerdirs: [rootPath],
    upperdir: path.join(opts.stateDir, 'upper'),
    workdir: path.join(opts.stateDir, 'work'),
    args,
    env: strings('process.env', p.env),
    cwd,
    hostname: typeof config.hostname === 'string' && config.hostname ? config.hostname : path.basename(path.resolve(bundle)),
    uid: user.uid === undefined ? 0 : int('process.user.uid', user.uid),
    gid: user.gid === undefined ? 0 : int('process.user.gid', user.gid),
    additionalGids: (user.additionalGids === undefined ? [] : (user.additionalGids as unknown[])).map((g, i) => int(`process.user.additionalGids[${i}]`, g)),
    noNewPrivileges: p.noNewPrivileges === true,
    readonlyRootfs: root.readonly === true,
    tty: p.terminal === true,
  };

  // Capabilities: the bounding set is what the process may ever hold; as add/drop from Docker's.
  if (isObj(p.capabilities)) {
    const want = new Set(strings('process.capabilities.bounding', p.capabilities.bounding ?? p.capabilities.effective).map(capName));
    spec.capAdd = [...want].filter((c) => !DOCKER_DEFAULT_CAPS.includes(c));
    spec.capDrop = DOCKER_DEFAULT_CAPS.filter((c) => !want.has(c));
  }

  const binds: BindMount[] = [];
  for (const [i, m] of (Array.isArray(config.mounts) ? config.mounts : []).entries()) {
    if (!isObj(m) || typeof m.destination !== 'string') fail(`mounts[${i}]`, 'expected { destination, type, source, options }');
    if (RUNTIME_MOUNTS.has(m.destination)) continue;
    const options = strings(`mounts[${i}].options`, m.options);
    if (m.type !== 'bind' && !options.includes('bind') && !options.includes('rbind')) {
      fail(`mounts[${i}]`, `type ${String(m.type)} at ${m.destination} is not supported (only bind mounts and the standard /proc, /dev, /sys)`);
    }
    if (typeof m.source !== 'string') fail(`mounts[${i}].source`, 'required for a bind mount');
    binds.push({ source: path.resolve(bundle, m.source), destination: m.destination, readonly: options.includes('ro') });
  }
  if (binds.length) spec.binds = binds;

  const linux = isObj(config.linux) ? config.linux : {};
  if (linux.maskedPaths !== undefined) spec.maskedPaths = strings('linux.maskedPaths', linux.maskedPaths);
  if (linux.readonlyPaths !== undefined) spec.readonlyPaths = strings('linux.readonlyPaths', linux.readonlyPaths);
  const namespaces = Array.isArray(linux.namespaces) ? linux.namespaces : [];
  for (const [i, ns] of namespaces.entries()) {
    if (isObj(ns) && typeof ns.path === 'string') fail(`linux.namespaces[${i}].path`, 'joining an existing namespace is not supported');
  }
  if (namespaces.some((ns) => isObj(ns) && ns.type === 'user')) {
    spec.userns = { uidMap: idMaps('linux.uidMappings', linux.uidMappings), gidMap: idMaps('linux.gidMappings', linux.gidMappings) };
  }

  const r = isObj(linux.resources) ? linux.resources : {};
  const cg: Omit<CgroupSpec, 'path'> = {};
  if (isObj(r.memory) && r.memory.limit !== undefined) cg.memory = int('linux.resources.memory.limit', r.memory.limit);
  if (isObj(r.memory) && r.memory.swap !== undefined) cg.memorySwap = int('linux.resources.memory.swap', r.memory.swap);
  if (isObj(r.cpu) && r.cpu.quota !== undefined && r.cpu.quota !== -1) {
    const period = r.cpu.period === undefined ? 100_000 : int('linux.resources.cpu.period', r.cpu.period);
    cg.cpus = int('linux.resources.cpu.quota', r.cpu.quota) / period;
  }
  if (isObj(r.cpu) && r.cpu.shares !== undefined) cg.cpuShares = int('linux.resources.cpu.shares', r.cpu.shares);
  if (isObj(r.pids) && r.pids.limit !== undefined) cg.pidsLimit = int('linux.resources.pids.limit', r.pids.limit);
  if (Object.keys(cg).length) {
    const cgPath = typeof linux.cgroupsPath === 'string' ? linux.cgroupsPath.replace(/^\/+/, '') : opts.cgroupPath;
    if (!cgPath) fail('linux.cgroupsPath', 'resources are set: give linux.cgroupsPath or BundleOptions.cgroupPath');
    spec.cgroup = { path: cgPath, ...cg };
  }
  return spec;
}
