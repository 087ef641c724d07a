// Bundles the CLI (dist/ from tsc, and its dependencies) into one CommonJS file, build/berth.cjs,
// which bin/berth.js runs with a V8 code cache (see there), and a lean bundle per command in
// dist/entries/ (build/berth-<command>.cjs: that command only, a fraction of the size). One file instead of hundreds of
// modules, and CommonJS because Node 20 caches compiled code only for scripts, not for ES modules.
// Dynamic imports stay lazy: esbuild turns them into initialisers run on first use.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire, isBuiltin } from "node:module";
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

const lean = {};
for (const f of fs.readdirSync(path.join(cli, "dist/entries"))) {
  if (f.endsWith(".js")) lean[`berth-${f.slice(0, -3)}`] = path.join(cli, "dist/entries", f);
}
// A lean bundle's paths that need @berth/core whole (zod, pino: most of a megabyte) load it from a
// bundle of its own, core.cjs, only then (a module importing it runs only when first needed).
const coreApart = {
  name: "core-apart",
  setup(b) {
    b.onResolve({ filter: /^@berth\/core$/ }, () => ({ path: "core", namespace: "core-apart" }));
    b.onResolve({ filter: /^\.\/core\.cjs$/, namespace: "core-apart" }, (args) => ({ path: args.path, external: true }));
    // bin/berth.js runs it from a code cache as it runs the bundles; plain require elsewhere.
    b.onLoad({ filter: /.*/, namespace: "core-apart" }, () => ({ contents: 'module.exports = globalThis.__berthBundle ? globalThis.__berthBundle("core.cjs") : require("./core.cjs");', loader: "js" }));
  },
};
// The compose schema's validator, compiled to code now (Ajv's standalone mode) instead of at every
// `berth stack …` (compiling it took longer than the rest of the command's client side): the
// bundles get this module in place of core's schema-validator.js, with the same export.
const coreCompose = path.join(cli, "../core/dist/compose");
const precompiledSchema = {
  name: "precompiled-compose-schema",
  setup(b) {
    b.onResolve({ filter: /^\.\/schema-validator\.js$/ }, (args) => (path.resolve(args.resolveDir) === coreCompose ? { path: "schema-validator", namespace: "precompiled-schema" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "precompiled-schema" }, async () => {
      const [{ composeAjv }, { default: standalone }] = await Promise.all([import(path.join(coreCompose, "schema-validator.js")), import(createRequire(path.join(coreCompose, "x.js")).resolve("ajv/dist/standalone"))]);
      const { ajv, schema } = composeAjv({ source: true });
      const code = standalone.default ? standalone.default(ajv, ajv.compile(schema)) : standalone(ajv, ajv.compile(schema));
      // CommonJS from Ajv (module.exports = the validate function): wrapped in the module's own export.
      return { contents: `var m = { exports: {} };\n(function (module, exports) {${code}\n})(m, m.exports);\nexports.composeValidator = () => m.exports;\n`, loader: "js", resolveDir: coreCompose };
    });
  },
};
const options = {
  outdir,
  outExtension: { ".js": ".cjs" },
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
};
const full = await build({ ...options, entryPoints: { berth: path.join(cli, "dist/main.js"), core: path.join(cli, "../core/dist/index.js") }, plugins: [builtinsAsRequire, precompiledSchema] });
const apart = await build({ ...options, entryPoints: lean, plugins: [builtinsAsRequire, coreApart, precompiledSchema] });
const entries = { berth: 1, core: 1, ...lean };
for (const name of Object.keys(entries)) {
  // bin/berth.js reads a bundle as latin1 (no UTF-8 decoding of a megabyte at every start): it must be ASCII.
  const text = fs.readFileSync(path.join(outdir, `${name}.cjs`));
  const bad = text.findIndex((b) => b > 0x7f);
  if (bad >= 0) throw new Error(`build/${name}.cjs has a non-ASCII byte at offset ${bad}: bin/berth.js reads it as latin1`);
  const dynamic = /(?<![\w$.])import\(/.exec(text.toString("latin1"));
  if (dynamic) throw new Error(`build/${name}.cjs still has an import() at offset ${dynamic.index}: bin/berth.js runs it as a vm.Script, where import() fails`);
}
if (full.metafile) fs.writeFileSync(path.join(outdir, "meta.json"), JSON.stringify({ inputs: { ...full.metafile.inputs, ...apart.metafile.inputs }, outputs: { ...full.metafile.outputs, ...apart.metafile.outputs } }));
