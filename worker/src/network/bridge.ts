import fs from "node:fs/promises";
import { sh } from "./sh.js";

/** Creates (or re-creates) a bridge with the gateway address, up. Once per network: `ip` is fine here. */
export async function createBridge(name: string, gateway: string, prefix: number): Promise<void> {
  await deleteLink(name);
  // One run of ip for the three steps (it stops at the first that fails); a half-made bridge goes.
  try {
    await sh("ip", ["-batch", "-"], `link add ${name} type bridge\naddr add ${gateway}/${prefix} dev ${name}\nlink set ${name} up\n`);
  } catch (e) {
    await deleteLink(name);
    throw e;
  }
}

/** Puts a veth's host end (back) on a bridge, up. */
export async function enslave(veth: string, bridge: string): Promise<void> {
  await sh("ip", ["link", "set", veth, "master", bridge, "up"]);
}

export async function deleteLink(name: string): Promise<void> {
  if (!(await linkExists(name))) return;
  await sh("ip", ["link", "del", name]).catch(async (e: unknown) => {
    if (await linkExists(name)) throw e;
  });
}

export function linkExists(name: string): Promise<boolean> {
  return fs.stat(`/sys/class/net/${name}`).then(
    () => true,
    () => false,
  );
}

/** Host links whose names start with one of `prefixes` (this instance's bridges and veth ends). */
export async function linksWithPrefix(prefixes: string[]): Promise<string[]> {
  const names = await fs.readdir("/sys/class/net").catch(() => [] as string[]);
  return names.filter((n) => prefixes.some((p) => n.startsWith(p)));
}
