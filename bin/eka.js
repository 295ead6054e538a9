#!/usr/bin/env node
// Runs the bundled CLI (dist/cli.cjs, made by `npm run prepare`) when present, else the TypeScript
// sources. The bundle is compiled with a V8 code cache kept in eka's cache directory: Node 20 has
// no compile cache of its own, and compiling the bundle cost a no-op `eka build` more than its
// own work did. CommonJS (bin/package.json), because starting Node's ESM loader for an ESM entry
// costs a no-op several milliseconds.
const { createRequire } = require("node:module");
const { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } = require("node:fs");
const { homedir } = require("node:os");
const { dirname, join } = require("node:path");
const { pathToFileURL } = require("node:url");
const vm = require("node:vm");

const bundle = join(__dirname, "..", "dist", "cli.cjs");

/** atom/resolve.node.ts's cacheDir(), which cannot be imported before the bundle is loaded. */
function cacheDir() {
  const env = process.env;
  return env.EKA_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "eka");
}

/**
 * What a code cache is kept for: the command (code compiled by `eka --version` would serve
 * `eka build` poorly), and whether it only shows help.
 */
function cacheName(argv, run) {
  if (run) return "eka-run";
  let i = 0;
  while (argv[i]?.startsWith("--store")) i += argv[i] === "--store" ? 2 : 1;
  const name = /^[a-z][a-z0-9+-]{0,15}$/.test(argv[i] ?? "") ? argv[i] : "other";
  return argv.includes("-h") || argv.includes("--help") ? `${name}-help` : name;
}

/**
 * Evaluates the CommonJS bundle as Node's loader would, with V8's code cache for it: the cache
 * is used only when made by this Node for this very file (V8 itself checks little more than the
 * source length), and is written (atomically; a failure only costs the next start) when missing
 * or rejected, after a command that succeeded, so it holds the functions a real run compiled.
 */
function loadBundle(st, name) {
  const key = `eka code cache 1 ${process.version} ${process.arch} ${bundle} ${st.size} ${st.mtimeMs} ${st.ino}\n`;
  // Named by the bundle's path too, so two installs of eka do not overwrite each other's caches.
  let h = 0x811c9dc5;
  for (let i = 0; i < bundle.length; i++) h = Math.imul(h ^ bundle.charCodeAt(i), 0x01000193) >>> 0;
  const cacheFile = join(cacheDir(), "v8", `cli-${h.toString(16)}-${name}.bin`);
  let cachedData;
  try {
    const b = readFileSync(cacheFile);
    if (b.subarray(0, key.length).toString("latin1") === key) cachedData = b.subarray(key.length);
  } catch {
    // No cache yet.
  }
  const source = readFileSync(bundle, "utf8");
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  const save = () => {
    if ((cachedData && !script.cachedDataRejected) || process.exitCode !== 0) return;
    try {
      mkdirSync(dirname(cacheFile), { recursive: true });
      const tmp = `${cacheFile}.tmp-${process.pid}`;
      writeFileSync(tmp, Buffer.concat([Buffer.from(key, "latin1"), script.createCachedData()]));
      renameSync(tmp, cacheFile);
    } catch {
      // An unwritable cache directory: compile every time.
    }
  };
  return { mod: module.exports, save };
}

async function main() {
  let st;
  try {
    if (process.env.EKA_FROM_SOURCE !== "1") st = statSync(bundle);
  } catch {
    // Not built: run the sources.
  }
  const run = !!process.argv[1] && /eka-run(\.js)?$/.test(process.argv[1]);
  const argv = process.argv.slice(2);
  let mod;
  let save = () => {};
  if (st) {
    ({ mod, save } = loadBundle(st, cacheName(argv, run)));
  } else {
    const { register } = await import("tsx/esm/api");
    register();
    mod = await import(pathToFileURL(join(__dirname, "..", "src", "cli", "main.ts")).href);
  }
  process.exitCode = await (run ? mod.mainRun : mod.main)(argv);
  save();
}

main().catch((e) => {
  process.stderr.write(`eka: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 70;
});
