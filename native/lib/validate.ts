import path from 'node:path';
import type { RunSpec } from './types.js';

// Checks done before crossing into C++, so that mistakes surface as a
// TypeError naming the field instead of a mount or execve failure.

const MAX_ID = 0xffff_fffe; // (uid_t)-1 means "unchanged" to set*id(2)
const MAX_MOUNT_DATA = 4095; // mount(2) takes one page of options

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
  const options = `lowerdir=${lowerdirs.join(':')},upperdir=${upperdir},workdir=${workdir}`;
  if (Buffer.byteLength(options) > MAX_MOUNT_DATA)
    fail('lowerdirs', `overlay options exceed ${MAX_MOUNT_DATA} bytes (${lowerdirs.length} layers)`);

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

  return { rootfs, lowerdirs, upperdir, workdir, args, env, cwd, hostname, uid, gid };
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
