#!/usr/bin/env -S node --
// Runs the bundled CLI (build/berth.cjs, made by scripts/bundle.mjs) as a vm.Script with a V8
// code cache kept beside it: compiling the bundle's JavaScript costs more than most commands
// take, and Node 20 caches compiled code for no module on its own. A command's cache is written
// once it has run (so it holds what that command compiled), and again whenever V8 refused it
// (another Node version). A cache that cannot be read or written costs only the time saved.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const file = fileURLToPath(new URL("../build/berth.cjs", import.meta.url));
// Named after the bundle's size and time as well: V8 checks a cache against the source's length only.
const st = fs.statSync(file);
// One cache per command: each holds what its command compiled (a cache is only ever written once).
const command = /^[a-z][a-z-]{0,19}$/.test(process.argv[2] ?? "") ? process.argv[2] : "other";
// Beside the bundle, or where BERTH_CLI_CACHE_DIR says (an install the user cannot write to).
const cacheDir = process.env.BERTH_CLI_CACHE_DIR || path.dirname(file);
const cacheFile = path.join(cacheDir, `${path.basename(file)}.${process.version}-${process.arch}-${st.size}-${Math.trunc(st.mtimeMs)}.${command}.cache`);
// ASCII by construction (scripts/bundle.mjs checks): latin1 skips UTF-8 decoding.
const source = fs.readFileSync(file, "latin1");
let cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {
  // no cache yet
}
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: file,
  ...(cachedData ? { cachedData } : {}),
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
if (!cachedData || script.cachedDataRejected) {
  process.once("exit", () => {
    try {
      const tmp = `${cacheFile}.${process.pid}`;
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {
      // read-only install: run without a cache
    }
  });
}
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(file), module, file, path.dirname(file));
