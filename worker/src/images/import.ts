import { createReadStream } from "node:fs";
import { InvalidArgument, type ImageConfig } from "@berth/core";
import type { ContentStore } from "@berth/core/content";
import type { PrismaClient } from "@berth/core/db";
import { goArch } from "./busybox.js";
import { ingestLayer } from "./ingest-layer.js";
import { LayerChecker } from "./layer-check.js";
import { storeLock } from "./lock.js";
import { writeImage } from "./store.js";

type RunConfig = NonNullable<ImageConfig["config"]>;

/** "CMD x", "ENV A=1 B=2", … applied to a config, as `docker import --change` does (a subset of Dockerfile). */
export function applyChanges(base: RunConfig, changes: string[], what = "import"): RunConfig {
  const c: RunConfig = { ...base };
  for (const raw of changes) {
    const line = raw.trim();
    const m = /^(\w+)\s+([\s\S]*)$/.exec(line);
    if (!m) throw new InvalidArgument(`invalid change "${raw}": want "INSTRUCTION arguments"`);
    const op = m[1]!.toUpperCase();
    const arg = m[2]!.trim();
    switch (op) {
      case "CMD":
        c.Cmd = commandForm(arg);
        break;
      case "ENTRYPOINT":
        c.Entrypoint = commandForm(arg);
        break;
      case "ENV": {
        const env = new Map((c.Env ?? []).map((e) => [e.split("=", 1)[0]!, e]));
        for (const [k, v] of pairs(arg, op)) env.set(k, `${k}=${v}`);
        c.Env = [...env.values()];
        break;
      }
      case "LABEL":
        c.Labels = { ...c.Labels, ...Object.fromEntries(pairs(arg, op)) };
        break;
      case "WORKDIR":
        c.WorkingDir = arg;
        break;
      case "USER":
        c.User = arg;
        break;
      case "EXPOSE":
        c.ExposedPorts = { ...c.ExposedPorts };
        for (const p of arg.split(/\s+/)) {
          if (!/^\d{1,5}(\/(tcp|udp|sctp))?$/.test(p)) throw new InvalidArgument(`invalid port "${p}" in change "${raw}"`);
          c.ExposedPorts[p.includes("/") ? p : `${p}/tcp`] = {};
        }
        break;
      default:
        throw new InvalidArgument(`change "${op}" is not supported by ${what}: use CMD, ENTRYPOINT, ENV, LABEL, WORKDIR, USER or EXPOSE`);
    }
  }
  return c;
}

function commandForm(arg: string): string[] {
  if (arg.startsWith("[")) {
    try {
      const v = JSON.parse(arg) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v;
    } catch {
      /* not JSON: shell form, as Docker does */
    }
  }
  return ["/bin/sh", "-c", arg];
}

/** "A=1 B=2" or the legacy "A 1". */
function pairs(arg: string, op: string): [string, string][] {
  if (!arg.includes("=")) {
    const sp = arg.search(/\s/);
    if (sp < 0) throw new InvalidArgument(`${op} needs KEY=VALUE`);
    return [[arg.slice(0, sp), arg.slice(sp).trim()]];
  }
  const out: [string, string][] = [];
  const re = /([^\s=]+)=("(?:[^"\\]|\\.)*"|\S*)/g;
  for (const m of arg.matchAll(re)) {
    let v = m[2]!;
    if (v.startsWith('"')) v = JSON.parse(v) as string;
    out.push([m[1]!, v]);
  }
  return out;
}

/**
 * `import`: a root filesystem tar (plain or gzip) becomes a one-layer image, checked for
 * tar-slip on the way in like any loaded layer.
 */
export async function importRootfs(
  d: { db: PrismaClient; blobs: ContentStore },
  file: string,
  o: { ref?: string | undefined; message?: string | undefined; changes?: string[]; teamId?: string | undefined },
): Promise<{ id: string }> {
  const runConfig = applyChanges({}, o.changes ?? []);
  return storeLock.shared(async () => {
    const layer = await ingestLayer(createReadStream(file, { highWaterMark: 1 << 20 }), d.blobs, { checker: new LayerChecker(), label: "the imported tar" });
    try {
      await layer.commit();
    } catch (e) {
      await layer.abort();
      throw e;
    }
    const created = new Date().toISOString();
    const config: ImageConfig = {
      created,
      architecture: goArch(),
      os: "linux",
      ...(Object.keys(runConfig).length ? { config: runConfig } : {}),
      rootfs: { type: "layers", diff_ids: [layer.diffId] },
      history: [{ created, created_by: "berth import", comment: o.message ?? "Imported from -" }],
    };
    return writeImage(d.db, d.blobs, { config: Buffer.from(JSON.stringify(config)), layers: [layer.descriptor], tags: o.ref ? [o.ref] : [], teamId: o.teamId });
  });
}
