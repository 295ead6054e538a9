#!/usr/bin/env node
// Runs the bundled CLI (dist/, made by `npm run prepare`) when present, else the TypeScript sources.
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bundle = `${root}dist/cli.mjs`;
let mod;
if (existsSync(bundle) && process.env.EKA_FROM_SOURCE !== "1") {
  mod = await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  mod = await import(pathToFileURL(`${root}src/cli/main.ts`).href);
}
const entry = process.argv[1] && /eka-run(\.js)?$/.test(process.argv[1]) ? mod.mainRun : mod.main;
process.exitCode = await entry(process.argv.slice(2));
