// Node: the seed's files from the installed @yowasp/clang package.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Store } from "../store/store.ts";
import { importSeed, seedStorePath } from "./seed.ts";

let pkgDir: string | undefined;

export function yowaspClangDir(): string {
  if (!pkgDir) {
    const require = createRequire(import.meta.url);
    // The package's exports hide package.json; its entry sits in gen/.
    pkgDir = dirname(dirname(require.resolve("@yowasp/clang")));
  }
  return pkgDir;
}

export function seedVersion(): string {
  return (JSON.parse(readFileSync(join(yowaspClangDir(), "package.json"), "utf8")) as { version: string }).version;
}

/** The seed's store path (imported on first use). */
export async function ensureSeed(store: Store): Promise<string> {
  const version = seedVersion();
  if (store.has(seedStorePath(version))) return seedStorePath(version);
  return importSeed(store, version, async () => ({
    wasm: new Uint8Array(readFileSync(join(yowaspClangDir(), "gen", "llvm.core.wasm"))),
    resourcesTar: new Uint8Array(readFileSync(join(yowaspClangDir(), "gen", "llvm-resources.tar"))),
  }));
}
