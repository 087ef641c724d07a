// Real bridge, real veth pairs, real namespaces: a container on a bridge the test makes.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachNetwork, detachNetwork, killContainer, NativeError, spawnContainer, waitContainer, type RunSpec } from './index.js';
import { containerDirs, makeBusyboxLayer, readAll, runToEnd } from './test-rootfs.js';

const tag = `${process.pid.toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
const bridge = `bnt${tag}`.slice(0, 15);
// A /24 from the TEST-NET-2 block (RFC 5737): never routed, so it cannot clash with the host's.
const subnet = '198.51.100';
let tmp = '';
let layer = '';

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8' });
}

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('network tests need root (bridges, veth pairs, namespaces)');
  execFileSync('ip', ['-V']); // iproute2 makes and inspects the test's bridge; fails loudly when missing
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-net-'));
  layer = path.join(tmp, 'layer');
  makeBusyboxLayer(layer);
  ip('link', 'add', bridge, 'type', 'bridge');
  ip('addr', 'add', `${subnet}.1/24`, 'dev', bridge);
  ip('link', 'set', bridge, 'up');
});

afterAll(() => {
  try {
    ip('link', 'del', bridge);
  } catch {
    /* not made */
  }
  if (tmp !== '') fs.rmSync(tmp, { recursive: true, force: true });
});

function linkExists(name: string): boolean {
  return fs.existsSync(`/sys/class/net/${name}`);
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

function spec(args: string[], n: number, extra: Partial<RunSpec> = {}): RunSpec {
  return {
    ...containerDirs(tmp),
    lowerdirs: [layer],
    args,
    env: ['PATH=/bin'],
    cwd: '/',
    hostname: 'net-test',
    uid: 0,
    gid: 0,
    network: {
      mode: 'bridge',
      bridge,
      hostIfname: `vt${tag}${n}`.slice(0, 15),
      mac: `02:42:c6:33:64:${(10 + n).toString(16).padStart(2, '0')}`,
      address: `${subnet}.${10 + n}`,
      prefixLength: 24,
      gateway: `${subnet}.1`,
    },
    ...extra,
  };
}

describe('bridge networking', () => {
  it('gives the container eth0 with its address, MAC and default route, and the host end joins the bridge', async () => {
    const hostEnd = `vt${tag}1`.slice(0, 15);
    const c = await spawnContainer({ ...spec(['sh', '-c', 'ip addr show eth0; ip route; cat /sys/class/net/eth0/mtu; read x; exit 0'], 1), openStdin: true, tty: false });
    // While it runs, the host end is on the bridge.
    const link = ip('-o', 'link', 'show', hostEnd);
    expect(link).toContain(`master ${bridge}`);
    fs.closeSync(c.stdin!);
    const [out, , status] = await Promise.all([readAll(c.stdout), readAll(c.stderr), waitContainer(c.pid)]);
    expect(status.exitCode).toBe(0);
    expect(out).toContain(`inet ${subnet}.11/24`);
    expect(out).toContain('link/ether 02:42:c6:33:64:0b');
    expect(out).toMatch(new RegExp(`default via ${subnet.replace(/\./g, '\\.')}\\.1 dev eth0`));
    expect(out).toContain('1500');
    // The pair dies with the container's namespace (the kernel tears it down asynchronously).
    expect(await until(() => !linkExists(hostEnd), 30_000)).toBe(true);
  });

  it('reaches the gateway (the bridge address on the host) before the command starts', async () => {
    const r = await runToEnd(spec(['ping', '-c', '1', '-W', '5', `${subnet}.1`], 2));
    expect(r.stdout).toContain('1 packets received');
    expect(r.exitCode).toBe(0);
  });

  it('host mode shares the host network namespace; none has only lo', async () => {
    const host = await runToEnd({ ...spec(['cat', '/proc/net/dev'], 3), network: { mode: 'host' } });
    expect(host.stdout).toContain(bridge);
    const none = await runToEnd({ ...spec(['cat', '/proc/net/dev'], 4), network: { mode: 'none' } });
    const ifaces = none.stdout.split('\n').slice(2).filter(Boolean).map((l) => l.split(':')[0]!.trim());
    expect(ifaces).toEqual(['lo']);
  });

  it('fails with stage network and the interface name when the bridge does not exist', async () => {
    const s = spec(['true'], 5);
    const err = await spawnContainer({ ...s, network: { ...(s.network as { mode: 'bridge' } & Record<string, unknown>), bridge: 'no-such-br0' } as RunSpec['network'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NativeError);
    expect((err as NativeError).stage).toBe('network');
    expect((err as NativeError).path).toBe(`vt${tag}5`.slice(0, 15));
  });

  it('adds every extra interface (eth1, ...) before the command starts', async () => {
    const s = spec(['ip', '-o', '-4', 'addr'], 8);
    const net = s.network as { mode: 'bridge' } & Record<string, unknown>;
    const r = await runToEnd({ ...s, network: { ...net, extra: [{ bridge, hostIfname: `vt${tag}9`.slice(0, 15), ifname: 'eth1', address: `${subnet}.19`, prefixLength: 24 }] } as RunSpec['network'] });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`eth0    inet ${subnet}.18/24`);
    expect(r.stdout).toContain(`eth1    inet ${subnet}.19/24`);
  });

  it('attaches a second interface to a running container and detaches it', async () => {
    const c = await spawnContainer({ ...spec(['sleep', '60'], 6), tty: false });
    try {
      await attachNetwork(c.pid, { bridge, hostIfname: `vt${tag}7`.slice(0, 15), ifname: 'eth1', address: `${subnet}.17`, prefixLength: 24 });
      const nsAddrs = execFileSync('nsenter', ['-t', String(c.pid), '-n', 'ip', '-o', '-4', 'addr'], { encoding: 'utf8' });
      expect(nsAddrs).toContain(`eth1    inet ${subnet}.17/24`);
      await detachNetwork(c.pid, 'eth1');
      const after = execFileSync('nsenter', ['-t', String(c.pid), '-n', 'ip', '-o', 'link'], { encoding: 'utf8' });
      expect(after).not.toContain('eth1');
      expect(after).toContain('eth0');
    } finally {
      killContainer(c.pid, 9);
      await waitContainer(c.pid);
    }
  });
});
