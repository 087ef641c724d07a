#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS BERTH_CLI_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS} node --
// The line above: `--` ends Node's options (Node 20 would take a command's `--env-file` as its
// own). NODE_EXTRA_CA_CERTS is moved aside: Node 20 parses that file at every start (~40 ms for
// a full CA bundle) though most commands open no TLS connection; src/tls-trust.ts gives those
// that do the same trust. Run as `node cli/bin/berth.js`, Node keeps the variable and all is as usual.
// Runs the bundled CLI (build/berth.cjs, or a command's lean build/berth-<command>.cjs, both
// made by scripts/bundle.mjs) as a vm.Script with a V8 code cache kept beside it: compiling the
// bundle's JavaScript costs more than most commands take, and Node 20 caches compiled code for no
// module on its own. A command's cache is written once it has run (so it holds what that command
// compiled), and again whenever V8 refused it (another Node version). A cache that cannot be read
// or written costs only the time saved. CommonJS (bin/package.json says so): an ES module entry
// costs Node ~14 ms more to start.
"use strict";
const fs = require("node:fs");
const { createRequire } = require("node:module");
const path = require("node:path");
const vm = require("node:vm");

// `berth --team NAME COMMAND …` (or --team=NAME): the team every request of the command acts in,
// passed on as BERTH_TEAM; taken out here so the command's own bundle is found and parses as usual.
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === "--") break;
  if (a === "--team" && i + 1 < process.argv.length) {
    process.env.BERTH_TEAM = process.argv[i + 1];
    process.argv.splice(i, 2);
    break;
  }
  if (a.startsWith("--team=")) {
    process.env.BERTH_TEAM = a.slice("--team=".length);
    process.argv.splice(i, 1);
    break;
  }
  // Only options before the command: `berth run --team …` would be the container's own argument.
  if (!a.startsWith("-")) break;
}

// One cache per command: each holds what its command compiled (a cache is only ever written once).
const command = /^[a-z][a-z-]{0,19}$/.test(process.argv[2] ?? "") ? process.argv[2] : "other";
const buildDir = path.join(__dirname, "..", "build");
// Beside the bundles, or where BERTH_CLI_CACHE_DIR says (an install the user cannot write to).
const cacheDir = process.env.BERTH_CLI_CACHE_DIR || buildDir;

/** Runs one bundle (CommonJS) from its code cache, writing the cache at exit when it had none. */
function runBundle(file, st) {
  // Named after the bundle's size and time as well: V8 checks a cache against the source's length only.
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
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, createRequire(file), mod, file, path.dirname(file));
  return mod.exports;
}

// A lean bundle loads @berth/core (core.cjs) only on its rare paths: through here, with a cache too.
const loaded = new Map();
globalThis.__berthBundle = (name) => {
  if (!loaded.has(name)) {
    const file = path.join(buildDir, name);
    loaded.set(name, runBundle(file, fs.statSync(file)));
  }
  return loaded.get(name);
};

// A command with a lean bundle of its own (build/berth-<command>.cjs) runs from it: less to read and compile.
const lean = command === "other" ? undefined : path.join(buildDir, `berth-${command}.cjs`);
const leanSt = lean ? fs.statSync(lean, { throwIfNoEntry: false }) : undefined;
if (leanSt) runBundle(lean, leanSt);
else {
  const full = path.join(buildDir, "berth.cjs");
  runBundle(full, fs.statSync(full));
}
