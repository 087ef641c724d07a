/**
 * unpackPlain must leave what node-tar's unpack leaves (the step cache hashes modes and
 * contents of what it unpacked), and must hand anything else back unwritten-through.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tar from "tar";
import { afterAll, expect, it } from "vitest";
import { unpackPlain } from "./plain-unpack.js";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-plain-unpack-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const d = path.join(work, `out-${++n}`);
  fs.mkdirSync(d);
  return d;
};

/** Every path under `dir` with what the cache and COPY read of it. */
function describeTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = path.join(dir, r);
      const st = fs.lstatSync(abs);
      const what = st.isSymbolicLink() ? `-> ${fs.readlinkSync(abs)}` : st.isFile() ? `${fs.readFileSync(abs, "base64")} ${Math.trunc(st.mtimeMs / 1000)}` : "dir";
      out[r] = `${(st.mode & 0o7777).toString(8)} ${what}`;
      if (st.isDirectory()) walk(r);
    }
  };
  walk("");
  return out;
}

/** A tar the way `berth build` sends one: node-tar's portable mode, sorted, directories listed. */
async function cliTar(src: string, files: string[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of tar.c({ cwd: src, noDirRecurse: true, portable: true }, files) as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** A tar with these members, even hostile ones, made by Python's tarfile. */
const pyTar = (members: { name: string; type?: "file" | "dir" | "symlink" | "hardlink"; data?: string; link?: string }[]) =>
  execFileSync(
    "python3",
    [
      "-c",
      "import io,json,sys,tarfile\nt=tarfile.open(fileobj=sys.stdout.buffer,mode='w|',format=tarfile.PAX_FORMAT)\nT={'file':tarfile.REGTYPE,'dir':tarfile.DIRTYPE,'symlink':tarfile.SYMTYPE,'hardlink':tarfile.LNKTYPE}\nfor m in json.load(sys.stdin):\n  i=tarfile.TarInfo(m['name']); i.type=T[m.get('type','file')]; i.linkname=m.get('link',''); b=m.get('data','').encode(); i.size=len(b) if i.type==tarfile.REGTYPE else 0; i.mode=0o755 if i.type==tarfile.DIRTYPE else 0o644; t.addfile(i,io.BytesIO(b) if i.type==tarfile.REGTYPE else None)\nt.close()",
    ],
    { input: JSON.stringify(members) },
  );

it("leaves what node-tar leaves: modes under the umask, mtimes, contents, symlinks, long names", async () => {
  const src = path.join(work, "src");
  const long = "n".repeat(140);
  fs.mkdirSync(path.join(src, "sub", "deeper"), { recursive: true });
  fs.writeFileSync(path.join(src, "Dockerfile"), "FROM busybox\n");
  fs.writeFileSync(path.join(src, "empty"), "");
  fs.writeFileSync(path.join(src, "x.sh"), "#!/bin/sh\n");
  fs.writeFileSync(path.join(src, "sub", "deeper", long), Buffer.alloc(1500, 7));
  fs.symlinkSync("../x.sh", path.join(src, "sub", "link"));
  fs.symlinkSync("L".repeat(150), path.join(src, "long-target"));
  fs.chmodSync(path.join(src, "x.sh"), 0o4755);
  fs.chmodSync(path.join(src, "empty"), 0o600);
  fs.chmodSync(path.join(src, "sub"), 0o750);
  fs.utimesSync(path.join(src, "x.sh"), new Date(), new Date("2020-01-02T03:04:05Z"));
  const files = ["Dockerfile", "empty", "long-target", "sub", "sub/deeper", `sub/deeper/${long}`, "sub/link", "x.sh"];
  const archive = await cliTar(src, files);

  const mine = fresh();
  expect(unpackPlain(archive, mine)).toBe(true);
  // node-tar, as prepareContext calls it for a context that came as a file.
  const file = path.join(work, "ctx.tar");
  fs.writeFileSync(file, archive);
  const theirs = fresh();
  await tar.x({ file, cwd: theirs, preserveOwner: false, strict: true });
  expect(describeTree(mine)).toEqual(describeTree(theirs));
  expect(Object.keys(describeTree(mine))).toContain(`sub/deeper/${long}`);
});

it("hands back, unwritten-through, what it does not vouch for", () => {
  const outside = path.join(work, "outside");
  fs.mkdirSync(outside, { recursive: true });
  const cases: [string, Buffer][] = [
    ["a hard link", pyTar([{ name: "a", data: "a" }, { name: "b", type: "hardlink", link: "a" }])],
    ["an absolute path", pyTar([{ name: "/etc/berth-test" }])],
    ["a climb out", pyTar([{ name: "../escape", data: "x" }])],
    ["a write through a symlink", pyTar([{ name: "l", type: "symlink", link: outside }, { name: "l/x", data: "x" }])],
    ["a member under a parent never listed", pyTar([{ name: "d/x", data: "x" }])],
    ["a duplicate", pyTar([{ name: "a", data: "1" }, { name: "a", data: "2" }])],
    ["an archive of `.` (tar -C dir -c .)", pyTar([{ name: ".", type: "dir" }, { name: "./a", data: "a" }])],
    ["a cut-off archive", pyTar([{ name: "a", data: "1".repeat(600) }]).subarray(0, 1024)],
  ];
  for (const [what, archive] of cases) expect(unpackPlain(archive, fresh()), what).toBe(false);
  expect(fs.readdirSync(outside)).toEqual([]);
  expect(fs.existsSync(path.join(work, "escape"))).toBe(false);
});
