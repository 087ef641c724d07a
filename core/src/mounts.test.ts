import { describe, expect, it } from "vitest";
import { ContainerOptions } from "./container-options.js";
import { isInvalidArgument } from "./errors.js";
import { parseMountFlag, parseTmpfsFlag, parseVolumeFlag } from "./mounts.js";

function refused(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(isInvalidArgument(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error("expected a refusal");
}

describe("-v / --volume", () => {
  it("tells volumes, binds and anonymous volumes apart, with ro/rw/nocopy", () => {
    expect(parseVolumeFlag("/data")).toEqual({ type: "volume", target: "/data", readOnly: false, noCopy: false, anonymous: true });
    expect(parseVolumeFlag("db:/var/lib/db:ro")).toEqual({ type: "volume", source: "db", target: "/var/lib/db", readOnly: true, noCopy: false, anonymous: false });
    expect(parseVolumeFlag("db:/x:nocopy,rw")).toMatchObject({ source: "db", readOnly: false, noCopy: true });
    expect(parseVolumeFlag("/srv/app/:/app/:rw")).toEqual({ type: "bind", source: "/srv/app", target: "/app", readOnly: false, createSource: true });
  });

  it("refuses empty sources, relative container paths, bad names and options, naming the flag", () => {
    expect(refused(() => parseVolumeFlag(":/x"))).toMatch(/^invalid --volume ":\/x": the source is empty/);
    expect(refused(() => parseVolumeFlag("data:rel"))).toMatch(/container path "rel" must be absolute \(e\.g\. \/rel\)/);
    expect(refused(() => parseVolumeFlag("./d:/x"))).toMatch(/use an absolute path/);
    expect(refused(() => parseVolumeFlag("d:/x:rx"))).toMatch(/unknown option "rx"/);
    expect(refused(() => parseVolumeFlag("d:/"))).toMatch(/cannot be \//);
    expect(refused(() => parseVolumeFlag("d:/a/../b"))).toMatch(/must not contain \.\./);
    expect(refused(() => parseVolumeFlag("a:b:c:d"))).toMatch(/too many colons/);
  });
});

describe("--mount", () => {
  it("reads Docker's key=value form, volume by default", () => {
    expect(parseMountFlag("type=bind,source=/h,target=/c,readonly")).toEqual({ type: "bind", source: "/h", target: "/c", readOnly: true, createSource: false });
    expect(parseMountFlag("src=v1,dst=/c,ro=false,volume-nocopy")).toEqual({ type: "volume", source: "v1", target: "/c", readOnly: false, noCopy: true, anonymous: false });
    expect(parseMountFlag("target=/anon")).toMatchObject({ type: "volume", anonymous: true });
    expect(parseMountFlag("type=tmpfs,destination=/t,tmpfs-size=64m,tmpfs-mode=1700")).toEqual({ type: "tmpfs", target: "/t", readOnly: false, exec: false, size: 64 * 1024 * 1024, mode: 0o1700 });
  });

  it("refuses unknown keys and types, missing pieces, misplaced tmpfs options", () => {
    expect(refused(() => parseMountFlag("type=bind,source=/h,target=/c,colour=red"))).toMatch(/^invalid --mount .*unexpected key "colour"/);
    expect(refused(() => parseMountFlag("type=nfs,target=/c"))).toMatch(/unknown type "nfs"/);
    expect(refused(() => parseMountFlag("type=bind,target=/c"))).toMatch(/needs source=/);
    expect(refused(() => parseMountFlag("type=bind,source=rel,target=/c"))).toMatch(/absolute host path/);
    expect(refused(() => parseMountFlag("type=volume,target=/c,tmpfs-size=1m"))).toMatch(/need type=tmpfs/);
    expect(refused(() => parseMountFlag("type=bind,source=/h"))).toMatch(/container path is empty/);
  });
});

describe("--tmpfs", () => {
  it("takes size, mode, ro and exec", () => {
    expect(parseTmpfsFlag("/run")).toEqual({ type: "tmpfs", target: "/run", readOnly: false, exec: false });
    expect(parseTmpfsFlag("/run:size=1g,mode=755,ro,exec")).toEqual({ type: "tmpfs", target: "/run", readOnly: true, exec: true, size: 1024 ** 3, mode: 0o755 });
    expect(refused(() => parseTmpfsFlag("/run:mode=999"))).toMatch(/octal/);
    expect(refused(() => parseTmpfsFlag("/run:size=1"))).toMatch(/too small/);
    expect(refused(() => parseTmpfsFlag("run"))).toMatch(/must be absolute/);
  });
});

describe("ContainerOptions.mounts", () => {
  it("defaults to none and refuses two mounts at one path", () => {
    expect(ContainerOptions.parse({}).mounts).toEqual([]);
    const twice = ContainerOptions.safeParse({ mounts: [parseVolumeFlag("a1:/x"), parseTmpfsFlag("/x/")] });
    expect(twice.success).toBe(false);
  });
});
