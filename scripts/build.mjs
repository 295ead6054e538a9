// Bundles eka into dist/: the CLI and its pool worker (so `eka` starts without compiling
// TypeScript), the Node library entry, and the browser library entry (no node: modules).
import { build } from "esbuild";

const common = {
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  format: "esm",
  packages: "external",
  sourcemap: "linked",
  logLevel: "warning",
};

await build({
  ...common,
  entryPoints: { cli: "src/cli/main.ts", worker: "src/runtime/worker.node.ts", index: "src/index.node.ts" },
  splitting: true,
  platform: "node",
  target: "node20",
});

await build({
  ...common,
  entryPoints: { browser: "src/index.ts" },
  platform: "browser",
  target: "es2022",
});
