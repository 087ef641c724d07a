import { checkNetwork } from './network.js';
import path from 'node:path';
import type { BindMount, CgroupSpec, ExecSpec, IdMapping, RunSpec, TmpfsMount } from './types.js';

// Checks done before crossing into C++, so that mistakes surface as a
// TypeError naming the field instead of a mount or execve failure.

const MAX_ID = 0xffff_fffe; // (uid_t)-1 means "unchanged" to set*id(2)
/** The kernel's maximum of overlayfs lower layers (OVL_MAX_STACK); any count up to it mounts. */
const MAX_LOWER_LAYERS = 500;

function fail(field: string, what: string): never {
  throw new TypeError(`RunSpec.${field}: ${what}`);
}

function checkString(field: string, value: unknown): string {
  if (typeof value !== 'string') fail(field, 'expected a string');
  if (value.includes('\0')) fail(field, 'must not contain a NUL byte');
  return value;
}

function checkAbsolute(field: string, value: unknown): string {
  const s = checkString(field, value);
  if (!path.isAbsolute(s)) fail(field, `expected an absolute path, got ${JSON.stringify(s)}`);
  return s;
}

// ',' separates overlay options and ':' lower layers.
function checkOverlayPath(field: string, value: unknown): string {
  const s = checkAbsolute(field, value);
  if (/[,:]/.test(s)) fail(field, `overlay paths must not contain ',' or ':' (${JSON.stringify(s)})`);
  return s;
}

function checkStrings(field: string, value: unknown): string[] {
  if (!Array.isArray(value)) fail(field, 'expected an array of strings');
  return value.map((v, i) => checkString(`${field}[${i}]`, v));
}

function checkId(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_ID)
    fail(field, `expected an integer between 0 and ${MAX_ID}`);
  return value;
}

/** Returns a plain copy of `spec` holding exactly the RunSpec fields; throws TypeError naming the bad field. */
export function validateRunSpec(spec: unknown): RunSpec {
  if (typeof spec !== 'object' || spec === null) throw new TypeError('RunSpec: expected an object');
  const s = spec as Record<string, unknown>;

  const rootfs = checkAbsolute('rootfs', s.rootfs);
  if (!Array.isArray(s.lowerdirs) || s.lowerdirs.length === 0)
    fail('lowerdirs', 'expected a non-empty array of paths');
  const lowerdirs = s.lowerdirs.map((v: unknown, i) => checkOverlayPath(`lowerdirs[${i}]`, v));
  const upperdir = checkOverlayPath('upperdir', s.upperdir);
  const workdir = checkOverlayPath('workdir', s.workdir);
  if (lowerdirs.length > MAX_LOWER_LAYERS)
    fail('lowerdirs', `${lowerdirs.length} layers exceed the kernel's overlayfs maximum of ${MAX_LOWER_LAYERS}`);

  const args = checkStrings('args', s.args);
  if (args.length === 0 || args[0] === '') fail('args', 'expected a non-empty command');
  const env = checkStrings('env', s.env);
  env.forEach((kv, i) => {
    if (kv.indexOf('=') <= 0) fail(`env[${i}]`, `expected "KEY=VALUE", got ${JSON.stringify(kv)}`);
  });
  const cwd = checkAbsolute('cwd', s.cwd);
  const hostname = checkString('hostname', s.hostname);
  if (hostname === '' || Buffer.byteLength(hostname) > 64) fail('hostname', 'expected 1 to 64 bytes');
  const uid = checkId('uid', s.uid);
  const gid = checkId('gid', s.gid);

  const out: RunSpec = { rootfs, lowerdirs, upperdir, workdir, args, env, cwd, hostname, uid, gid };
  Object.assign(out, checkSecurity(s));
  if (s.readonlyRootfs !== undefined) out.readonlyRootfs = checkBool('readonlyRootfs', s.readonlyRootfs);
  if (s.binds !== undefined) out.binds = checkBinds(s.binds);
  if (s.tmpfs !== undefined) out.tmpfs = checkTmpfs(s.tmpfs);
  if (s.maskedPaths !== undefined) out.maskedPaths = checkStrings('maskedPaths', s.maskedPaths).map((p, i) => checkAbsolute(`maskedPaths[${i}]`, p));
  if (s.readonlyPaths !== undefined)
    out.readonlyPaths = checkStrings('readonlyPaths', s.readonlyPaths).map((p, i) => checkAbsolute(`readonlyPaths[${i}]`, p));
  if (s.cgroup !== undefined) out.cgroup = checkCgroup(s.cgroup);
  Object.assign(out, checkTerminal(s));
  if (s.init !== undefined) out.init = checkBool('init', s.init);
  if (s.shim !== undefined) {
    if (typeof s.shim !== 'object' || s.shim === null) fail('shim', 'expected {dir}');
    out.shim = { dir: checkAbsolute('shim.dir', (s.shim as Record<string, unknown>).dir) };
  }
  if (s.network !== undefined) out.network = checkNetwork(s.network);
  if (s.userns !== undefined) {
    if (typeof s.userns !== 'object' || s.userns === null) fail('userns', 'expected { uidMap, gidMap }');
    const u = s.userns as Record<string, unknown>;
    out.userns = { uidMap: checkIdMaps('userns.uidMap', u.uidMap), gidMap: checkIdMaps('userns.gidMap', u.gidMap) };
  }
  return out;
}

function checkBool(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(field, 'expected a boolean');
  return value;
}

function checkNumber(field: string, value: unknown, min: number, integer = true): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min)
    fail(field, `expected ${integer ? 'an integer' : 'a number'} >= ${min}`);
  return value;
}

// Options RunSpec and ExecSpec share.
function checkSecurity(s: Record<string, unknown>): Partial<RunSpec> {
  const out: Partial<RunSpec> = {};
  if (s.additionalGids !== undefined) {
    if (!Array.isArray(s.additionalGids)) fail('additionalGids', 'expected an array of ids');
    out.additionalGids = s.additionalGids.map((g: unknown, i) => checkId(`additionalGids[${i}]`, g));
  }
  if (s.capAdd !== undefined) out.capAdd = checkStrings('capAdd', s.capAdd);
  if (s.capDrop !== undefined) out.capDrop = checkStrings('capDrop', s.capDrop);
  if (s.noNewPrivileges !== undefined) out.noNewPrivileges = checkBool('noNewPrivileges', s.noNewPrivileges);
  if (s.seccomp !== undefined) {
    if (s.seccomp !== 'default' && s.seccomp !== 'unconfined') fail('seccomp', "expected 'default' or 'unconfined'");
    out.seccomp = s.seccomp;
  }
  return out;
}

function checkTerminal(s: Record<string, unknown>): Partial<RunSpec> {
  const out: Partial<RunSpec> = {};
  if (s.tty !== undefined) out.tty = checkBool('tty', s.tty);
  if (s.ttySize !== undefined) {
    if (typeof s.ttySize !== 'object' || s.ttySize === null) fail('ttySize', 'expected { cols, rows }');
    const t = s.ttySize as Record<string, unknown>;
    const cols = checkNumber('ttySize.cols', t.cols, 1);
    const rows = checkNumber('ttySize.rows', t.rows, 1);
    if (cols > 65535 || rows > 65535) fail('ttySize', 'cols and rows must be at most 65535');
    out.ttySize = { cols, rows };
  }
  if (s.openStdin !== undefined) out.openStdin = checkBool('openStdin', s.openStdin);
  return out;
}

function checkBinds(value: unknown): BindMount[] {
  if (!Array.isArray(value)) fail('binds', 'expected an array of { source, destination, readonly? }');
  return value.map((b: unknown, i) => {
    if (typeof b !== 'object' || b === null) fail(`binds[${i}]`, 'expected { source, destination, readonly? }');
    const m = b as Record<string, unknown>;
    const bind: BindMount = {
      source: checkAbsolute(`binds[${i}].source`, m.source),
      destination: checkAbsolute(`binds[${i}].destination`, m.destination),
    };
    if (m.readonly !== undefined) bind.readonly = checkBool(`binds[${i}].readonly`, m.readonly);
    return bind;
  });
}

function checkTmpfs(value: unknown): TmpfsMount[] {
  if (!Array.isArray(value)) fail('tmpfs', 'expected an array of { destination, size?, mode?, readonly?, exec? }');
  return value.map((t: unknown, i) => {
    if (typeof t !== 'object' || t === null) fail(`tmpfs[${i}]`, 'expected { destination, size?, mode?, readonly?, exec? }');
    const m = t as Record<string, unknown>;
    const out: TmpfsMount = { destination: checkAbsolute(`tmpfs[${i}].destination`, m.destination) };
    if (m.size !== undefined) out.size = checkNumber(`tmpfs[${i}].size`, m.size, 4096);
    if (m.mode !== undefined) {
      out.mode = checkNumber(`tmpfs[${i}].mode`, m.mode, 0);
      if (out.mode > 0o7777) fail(`tmpfs[${i}].mode`, 'expected permission bits (at most 0o7777)');
    }
    if (m.readonly !== undefined) out.readonly = checkBool(`tmpfs[${i}].readonly`, m.readonly);
    if (m.exec !== undefined) out.exec = checkBool(`tmpfs[${i}].exec`, m.exec);
    return out;
  });
}

function checkIdMaps(field: string, value: unknown): IdMapping[] {
  if (!Array.isArray(value) || value.length === 0) fail(field, 'expected a non-empty array of { containerID, hostID, size }');
  return value.map((m: unknown, i) => {
    if (typeof m !== 'object' || m === null) fail(`${field}[${i}]`, 'expected { containerID, hostID, size }');
    const r = m as Record<string, unknown>;
    return {
      containerID: checkId(`${field}[${i}].containerID`, r.containerID),
      hostID: checkId(`${field}[${i}].hostID`, r.hostID),
      size: checkNumber(`${field}[${i}].size`, r.size, 1),
    };
  });
}

/** A cgroup path relative to the hierarchy roots: "berth-x/c1"; no "..", no leading "/". */
export function validateCgroupPath(value: unknown, field = 'cgroup.path'): string {
  const p = checkString(field, value);
  const parts = p.split('/');
  if (p === '' || parts.some((c) => c === '' || c === '.' || c === '..' || !/^[A-Za-z0-9_.@:+-]+$/.test(c)))
    fail(field, `expected a relative path of [A-Za-z0-9_.@:+-] components, got ${JSON.stringify(p)}`);
  return p;
}

function checkCgroup(value: unknown): CgroupSpec {
  if (typeof value !== 'object' || value === null) fail('cgroup', 'expected { path, memory?, ... }');
  const c = value as Record<string, unknown>;
  const out: CgroupSpec = { path: validateCgroupPath(c.path) };
  if (c.memory !== undefined) out.memory = checkNumber('cgroup.memory', c.memory, 4096);
  if (c.memorySwap !== undefined) {
    out.memorySwap = checkNumber('cgroup.memorySwap', c.memorySwap, -1);
    if (out.memorySwap !== -1 && out.memory !== undefined && out.memorySwap < out.memory)
      fail('cgroup.memorySwap', 'must be -1 or at least cgroup.memory');
  } else if (out.memory !== undefined) {
    out.memorySwap = out.memory * 2; // Docker: as much swap as memory
  }
  if (c.cpus !== undefined) out.cpus = checkNumber('cgroup.cpus', c.cpus, 0.01, false);
  if (c.cpuShares !== undefined) out.cpuShares = checkNumber('cgroup.cpuShares', c.cpuShares, 2);
  if (c.pidsLimit !== undefined) out.pidsLimit = checkNumber('cgroup.pidsLimit', c.pidsLimit, -1);
  if (c.cpusetCpus !== undefined) out.cpusetCpus = checkString('cgroup.cpusetCpus', c.cpusetCpus);
  if (c.cpusetMems !== undefined) out.cpusetMems = checkString('cgroup.cpusetMems', c.cpusetMems);
  return out;
}

export function validateExecSpec(spec: unknown): ExecSpec {
  if (typeof spec !== 'object' || spec === null) throw new TypeError('ExecSpec: expected an object');
  const s = spec as Record<string, unknown>;
  const args = checkStrings('args', s.args);
  if (args.length === 0 || args[0] === '') fail('args', 'expected a non-empty command');
  const out: ExecSpec = { args };
  if (s.env !== undefined) {
    out.env = checkStrings('env', s.env);
    out.env.forEach((kv, i) => {
      if (kv.indexOf('=') <= 0) fail(`env[${i}]`, `expected "KEY=VALUE", got ${JSON.stringify(kv)}`);
    });
  }
  if (s.cwd !== undefined) out.cwd = checkAbsolute('cwd', s.cwd);
  if (s.uid !== undefined) out.uid = checkId('uid', s.uid);
  if (s.gid !== undefined) out.gid = checkId('gid', s.gid);
  Object.assign(out, checkSecurity(s), checkTerminal(s));
  return out;
}

export function validatePid(pid: unknown): number {
  // 0 and negative pids would address process groups or every process.
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid < 1 || pid > 0x7fff_ffff)
    throw new TypeError(`pid: expected a positive integer, got ${String(pid)}`);
  return pid;
}

export function validateSignal(signal: unknown): number {
  if (typeof signal !== 'number' || !Number.isInteger(signal) || signal < 0 || signal > 64)
    throw new TypeError(`signal: expected an integer between 0 and 64, got ${String(signal)}`);
  return signal;
}

export function validateFd(fd: unknown): number {
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0 || fd > 0x7fff_ffff)
    throw new TypeError(`fd: expected a non-negative integer, got ${String(fd)}`);
  return fd;
}
