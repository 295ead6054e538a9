// Bundles eka into dist/: the CLI and its pool worker (so `eka` starts without compiling
// TypeScript), the Node library entry, and the browser library entry (no node: modules).
import { rmSync } from "node:fs";
import { build } from "esbuild";

// The small JavaScript dependencies are bundled in: loading semver's forty CommonJS files, a UMD
// hash-wasm and the rest through Node's module loader cost more than eka's own no-op build.
// Packages that are tools or ship files eka reads at run time stay external.
const external = ["@yowasp/clang", "tsx", "esbuild", "bun", "wabt", "binaryen", "playwright-core", "vitest", "better-sqlite3"];

const common = {
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  format: "esm",
  external,
  sourcemap: "linked",
  logLevel: "warning",
};

// Chunk names change with their contents; start clean so old chunks do not pile up.
rmSync("dist", { recursive: true, force: true });

await build({
  ...common,
  entryPoints: { cli: "src/cli/main.ts", worker: "src/runtime/worker.node.ts", index: "src/index.node.ts" },
  splitting: true,
  platform: "node",
  target: "node20",
  // Bundled CommonJS dependencies call require() for Node built-ins.
  banner: { js: 'import { createRequire as __ekaRequire } from "node:module"; const require = __ekaRequire(import.meta.url);' },
});

await build({
  ...common,
  entryPoints: { browser: "src/index.ts" },
  platform: "browser",
  target: "es2022",
});
