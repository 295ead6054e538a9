// Bundles the CLI into dist/cli.mjs so `eka` starts without compiling TypeScript on every run.
import { build } from "esbuild";

await build({
  entryPoints: { cli: "src/cli/main.ts" },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: "linked",
  logLevel: "warning",
});
