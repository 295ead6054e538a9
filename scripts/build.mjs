// Bundles eka into dist/: the CLI (one CommonJS file, so bin/eka.js can compile it with a V8 code
// cache), the pool worker and the Node library entry (ESM), and the browser library entry (no
// node: modules).
import { copyFileSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { build } from "esbuild";

// The small JavaScript dependencies are bundled in: loading semver's forty CommonJS files, a UMD
// hash-wasm and the rest through Node's module loader cost more than eka's own no-op build.
// Packages that are tools or ship files eka reads at run time stay external.
const external = ["@yowasp/clang", "tsx", "esbuild", "bun", "wabt", "binaryen", "playwright-core", "vitest", "better-sqlite3", "node-sqlite3-wasm"];

const common = {
  outdir: "dist",
  bundle: true,
  external,
  sourcemap: "linked",
  logLevel: "warning",
};

/**
 * hash-wasm decodes its embedded WebAssembly with a JavaScript loop, which a short-lived process
 * runs in V8's interpreter: 3-4 ms of a no-op `eka build`. On Node, Buffer's native decoder does
 * it at once; the result is still a Uint8Array over an ArrayBuffer of its own, as hash-wasm needs.
 * Should hash-wasm change that function, the build says so and keeps the original.
 */
const nativeBase64 = {
  name: "hash-wasm-native-base64",
  setup(b) {
    b.onLoad({ filter: /[\\/]hash-wasm[\\/]dist[\\/]index\.esm\.js$/ }, async (args) => {
      const text = await readFile(args.path, "utf8");
      const head = "function decodeBase64(data) {\n";
      if (!text.includes(head)) return { contents: text, loader: "js", warnings: [{ text: "hash-wasm's decodeBase64 changed; its JavaScript decoder is kept" }] };
      return { contents: text.replace(head, `${head}    if (typeof Buffer === "function") return new Uint8Array(Buffer.from(data, "base64"));\n`), loader: "js" };
    });
  },
};

const node = {
  ...common,
  platform: "node",
  target: "node20",
  // ESM builds where a package has one: hash-wasm's UMD main holds every algorithm it offers
  // (280 KB), its ESM build lets the bundle keep only BLAKE3 and SHA-256.
  mainFields: ["module", "main"],
  plugins: [nativeBase64],
};

// Chunk names change with their contents; start clean so old chunks do not pile up.
rmSync("dist", { recursive: true, force: true });

// One file rather than ESM chunks: a no-op `eka build` loaded twenty chunks, and Node 20's ESM
// loader has no code cache (module.enableCompileCache is Node 22+), so resolving, compiling and
// linking them cost more than the build's own work. Commands stay lazily initialised (esbuild
// wraps what only dynamic imports reach), so a command evaluates only the modules it uses.
await build({
  ...node,
  entryPoints: { cli: "src/cli/main.ts" },
  outExtension: { ".js": ".cjs" },
  format: "cjs",
  define: { "import.meta.url": "__ekaModuleUrl" },
  banner: { js: 'const __ekaModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
});

await build({
  ...node,
  entryPoints: { worker: "src/runtime/worker.node.ts", index: "src/index.node.ts" },
  outExtension: { ".js": ".mjs" },
  format: "esm",
  splitting: true,
  // Bundled CommonJS dependencies call require() for Node built-ins.
  banner: { js: 'import { createRequire as __ekaRequire } from "node:module"; const require = __ekaRequire(import.meta.url);' },
});

await build({
  ...common,
  entryPoints: { browser: "src/index.ts" },
  outExtension: { ".js": ".mjs" },
  format: "esm",
  platform: "browser",
  target: "es2022",
});

// The `eka web` page: its script and the build worker (browser ESM), beside web/'s static files.
await build({
  ...common,
  outdir: "dist/web",
  entryPoints: { page: "src/web/page.ts", worker: "src/web/worker.ts" },
  format: "esm",
  platform: "browser",
  target: "es2022",
});
for (const f of ["index.html", "style.css"]) copyFileSync(`web/${f}`, `dist/web/${f}`);
