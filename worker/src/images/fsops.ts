import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { FailedPrecondition } from "@berth/core";

/**
 * The few filesystem operations Node has no API for (mknod, extended attributes), done by
 * small host tools until the native addon grows them: `mknod` from coreutils; for xattrs
 * `setfattr` (Debian package `attr`) when installed, else Python's os.setxattr (python3 is
 * installed anyway: node-gyp needs it).
 */
const run = promisify(execFile);

export const OPAQUE_XATTR = "trusted.overlay.opaque";

const missing = (e: unknown) => (e as NodeJS.ErrnoException).code === "ENOENT" && typeof (e as { path?: unknown }).path === "string";

function toolError(what: string, e: unknown): Error {
  const err = e as { stderr?: string; message: string };
  return new Error(`${what}: ${(err.stderr || err.message).trim()}`);
}

/** An overlayfs whiteout: a character device 0/0 (how overlay marks a deleted lower file). */
export async function makeWhiteout(target: string): Promise<void> {
  await mknod(target, "c", 0, 0, 0o000);
}

export async function mknod(target: string, type: "c" | "b" | "p", major: number, minor: number, mode: number): Promise<void> {
  const args = ["-m", (mode & 0o7777).toString(8), target, type, ...(type === "p" ? [] : [String(major), String(minor)])];
  try {
    await run("mknod", args);
  } catch (e) {
    if (missing(e)) throw new FailedPrecondition("mknod (coreutils) is not installed: it is needed to unpack whiteouts and device nodes");
    throw toolError(`mknod ${target}`, e);
  }
}

let xattrTool: "setfattr" | "python3" | undefined;

/** Marks a directory opaque for overlayfs: lower layers' content under it is hidden. */
export async function setOpaque(dir: string): Promise<void> {
  await setXattr(dir, OPAQUE_XATTR, "y");
}

export async function setXattr(target: string, name: string, value: string): Promise<void> {
  const attempts: ["setfattr" | "python3", string, string[]][] = [
    ["setfattr", "setfattr", ["-h", "-n", name, "-v", value, target]],
    ["python3", "python3", ["-c", "import os,sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode(), follow_symlinks=False)", target, name, value]],
  ];
  for (const [tool, cmd, args] of xattrTool ? attempts.filter((a) => a[0] === xattrTool) : attempts) {
    try {
      await run(cmd, args);
      xattrTool = tool;
      return;
    } catch (e) {
      if (missing(e)) continue;
      throw toolError(`setting ${name} on ${target}`, e);
    }
  }
  throw new FailedPrecondition(`cannot set the extended attribute ${name}: install the \`attr\` package (setfattr) or python3`);
}

/**
 * Directories under `root` carrying overlayfs' opaque mark, as paths relative to root. One
 * process walks the whole tree (a spawn per directory would be slow on big roots).
 */
export async function opaqueDirs(root: string): Promise<Set<string>> {
  const script = [
    "import os,sys",
    "root=sys.argv[1]",
    "for d,dirs,files in os.walk(root):",
    "  for n in dirs:",
    "    p=os.path.join(d,n)",
    "    try:",
    `      v=os.getxattr(p,'${OPAQUE_XATTR}',follow_symlinks=False)`,
    "    except OSError:",
    "      continue",
    "    if v==b'y': sys.stdout.write(os.path.relpath(p,root)+'\\0')",
  ].join("\n");
  try {
    const { stdout } = await run("python3", ["-c", script, root], { maxBuffer: 64 << 20 });
    return new Set(stdout.split("\0").filter(Boolean));
  } catch (e) {
    if (missing(e)) throw new FailedPrecondition("python3 is needed to read overlayfs opaque marks");
    throw toolError(`reading opaque marks under ${root}`, e);
  }
}
