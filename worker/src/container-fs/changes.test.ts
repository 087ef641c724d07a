import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { setOpaque } from "../images/fsops.js";
import { containerChanges } from "./changes.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-diff-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it("lists A, C and D from an upper dir against its lower layers, as docker diff", async () => {
  const lower = path.join(dir, "lower");
  const upper = path.join(dir, "upper");
  for (const d of ["etc", "var/lib", "opt/old"]) fs.mkdirSync(path.join(lower, d), { recursive: true });
  fs.writeFileSync(path.join(lower, "etc/passwd"), "root\n");
  fs.writeFileSync(path.join(lower, "etc/group"), "root\n");
  fs.writeFileSync(path.join(lower, "opt/old/a"), "");
  fs.mkdirSync(path.join(upper, "etc"), { recursive: true });
  fs.writeFileSync(path.join(upper, "etc/passwd"), "root\nme\n"); // changed
  execFileSync("mknod", [path.join(upper, "etc/group"), "c", "0", "0"]); // deleted
  fs.mkdirSync(path.join(upper, "new/dir"), { recursive: true }); // added
  fs.mkdirSync(path.join(upper, "proc")); // made by the runtime: not listed
  fs.mkdirSync(path.join(upper, "opt/old"), { recursive: true }); // opaque: hides the layer's a
  await setOpaque(path.join(upper, "opt/old"));
  const changes = await containerChanges(upper, [lower]);
  expect(changes.map((c) => `${"CAD"[c.Kind]} ${c.Path}`)).toEqual(["C /etc", "D /etc/group", "C /etc/passwd", "A /new", "A /new/dir", "C /opt", "C /opt/old", "D /opt/old/a"]);
});
