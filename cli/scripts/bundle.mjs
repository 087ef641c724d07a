// Bundles the CLI (dist/ from tsc, and its dependencies) into one CommonJS file, build/berth.cjs,
// which bin/berth.js runs with a V8 code cache (see there). One file instead of hundreds of
// modules, and CommonJS because Node 20 caches compiled code only for scripts, not for ES modules.
// Dynamic imports stay lazy: esbuild turns them into initialisers run on first use.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isBuiltin } from "node:module";
import { build } from "esbuild";

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outdir = path.join(cli, "build");
fs.rmSync(outdir, { recursive: true, force: true });

// bin/berth.js runs the bundle as a vm.Script, where import() cannot load anything (Node 20 wants
// --experimental-vm-modules for that): a dynamic import of a Node built-in becomes a bundled
// module that requires it, so no import() is left in the output (checked below).
const builtinsAsRequire = {
  name: "builtins-as-require",
  setup(b) {
    b.onResolve({ filter: /^[a-z_/:]+$/ }, (args) => (args.kind === "dynamic-import" && isBuiltin(args.path) ? { path: args.path, namespace: "builtin" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "builtin" }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: "js" }));
  },
};

const result = await build({
  entryPoints: [path.join(cli, "dist/main.js")],
  outfile: path.join(outdir, "berth.cjs"),
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  // ws's optional native speed-ups: required inside try/catch, absent here.
  external: ["bufferutil", "utf-8-validate"],
  // build/ sits beside package.json as dist/ does, so `new URL("../package.json", import.meta.url)` still works.
  define: { "import.meta.url": "__berthImportMetaUrl" },
  banner: { js: 'var __berthImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  // Smaller is faster to read and hash; identifiers keep their names (some code reads .name).
  minifyWhitespace: true,
  minifySyntax: true,
  charset: "ascii",
  legalComments: "none",
  logLevel: "warning",
  metafile: !!process.env.BERTH_BUNDLE_META,
  plugins: [builtinsAsRequire],
});
// bin/berth.js reads the bundle as latin1 (no UTF-8 decoding of a megabyte at every start): it must be ASCII.
const text = fs.readFileSync(path.join(outdir, "berth.cjs"));
const bad = text.findIndex((b) => b > 0x7f);
if (bad >= 0) throw new Error(`build/berth.cjs has a non-ASCII byte at offset ${bad}: bin/berth.js reads it as latin1`);
const dynamic = /(?<![\w$.])import\(/.exec(text.toString("latin1"));
if (dynamic) throw new Error(`build/berth.cjs still has an import() at offset ${dynamic.index}: bin/berth.js runs it as a vm.Script, where import() fails`);
if (result.metafile) fs.writeFileSync(path.join(outdir, "meta.json"), JSON.stringify(result.metafile));
