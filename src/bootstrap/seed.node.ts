// Node: where the seed's files are — `EKA_SEED_DIR` (a directory holding llvm.core.wasm and
// llvm-resources.tar) or the installed @yowasp/clang package — its version, and importing it.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { EkaError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { importSeed, seedStorePath, type SeedBytes } from "./seed.ts";

/** Host paths of the seed's two files; E_SEED_MISSING names a missing one and the fix. */
export function seedFiles(): { wasm: string; resources: string } {
  const dir = seedDir();
  const wasm = join(dir, "llvm.core.wasm");
  const resources = join(dir, "llvm-resources.tar");
  for (const f of [wasm, resources]) {
    if (!existsSync(f)) throw new EkaError("E_SEED_MISSING", `the seed file ${f} is missing; run 'npm ci' to reinstall @yowasp/clang (or point EKA_SEED_DIR at a directory holding llvm.core.wasm and llvm-resources.tar)`);
  }
  return { wasm, resources };
}

const versions = new Map<string, string>();

/** The seed's @yowasp/clang version, from the package.json beside its gen/ directory. */
export function seedVersion(): string {
  const file = join(dirname(seedDir()), "package.json");
  let version = versions.get(file);
  if (version === undefined) {
    try {
      version = (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
    } catch {
      throw new EkaError("E_SEED_MISSING", `cannot tell the seed's version: ${file} is missing; EKA_SEED_DIR must be the gen/ directory of a @yowasp/clang package`);
    }
    versions.set(file, version);
  }
  return version;
}

/** The seed's store path (nothing is read or hashed but the package's version). */
export function installedSeedPath(): string {
  return seedStorePath(seedVersion());
}

/** Reads the seed's files. */
export async function readSeed(): Promise<SeedBytes> {
  const f = seedFiles();
  return { wasm: new Uint8Array(readFileSync(f.wasm)), resourcesTar: new Uint8Array(readFileSync(f.resources)) };
}

/** The seed's store path, imported (and verified) first if the store lacks it. */
export async function ensureSeed(store: Store): Promise<string> {
  const storePath = installedSeedPath();
  return store.has(storePath) ? storePath : importSeed(store, seedVersion(), readSeed);
}

/** For buildGraph's `provideInput`: imports the seed when a build needs it and the store lacks it. */
export function seedProvider(store: Store): (storePath: string) => Promise<boolean> {
  return async (storePath) => {
    if (storePath !== installedSeedPath()) return false;
    await importSeed(store, seedVersion(), readSeed);
    return true;
  };
}

function seedDir(): string {
  if (process.env.EKA_SEED_DIR) return process.env.EKA_SEED_DIR;
  try {
    // The package exports only its JS entry (gen/bundle.js), which sits next to the seed files.
    return dirname(createRequire(import.meta.url).resolve("@yowasp/clang"));
  } catch {
    throw new EkaError("E_SEED_MISSING", "cannot find the npm package @yowasp/clang (eka's seed); run 'npm ci' in eka's directory");
  }
}
