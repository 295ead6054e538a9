// The seed: LLVM from @yowasp/clang as a store object, so build steps take their compiler from the
// store like any other tool. Its store path is named by the package version (cheap: a no-op
// build needn't hash 100 MB); its bytes are checked against the pins below when it is imported.
// The object's layout (module file, sysroot directory) is the clang toolchain's.
import { EkaError } from "../errors.ts";
import { makeStorePath } from "../store/store-path.ts";
import type { Store } from "../store/store.ts";
import { MemoryTree } from "../store/memory-tree.ts";
import { SEED_MODULE, SEED_SYSROOT } from "../toolchains/clang/layout.ts";
import { blake3, toHex } from "../util/blake3.ts";

export const SEED_NAME = "llvm-seed";

/**
 * BLAKE3 of the seed's files for the @yowasp/clang versions eka knows. A known version whose bytes
 * differ is refused; an unknown version is imported as it is (its store path still names it).
 */
export const SEED_PINS: Record<string, { wasm: string; resourcesTar: string }> = {
  "22.0.0-git20542-10": {
    wasm: "16b80ffe6ea4f9287eb231a054ee90c540d70665af269fe4c09283fc8a15603c",
    resourcesTar: "8561ff48289efba74da6d7b592c30cd791f6f140f91f3efa917b45b6ca41e418",
  },
};

/** The seed's two files: the multi-call module (`gen/llvm.core.wasm`) and the sysroot tar. */
export interface SeedBytes {
  wasm: Uint8Array;
  resourcesTar: Uint8Array;
}

/** The seed's store path, from its package version. */
export function seedStorePath(version: string): string {
  const h = blake3(new TextEncoder().encode(`eka-seed:@yowasp/clang@${version}`));
  return makeStorePath(h, `${SEED_NAME}-${version.replace(/[^0-9A-Za-z+\-._?=]/g, "_")}`);
}

/** One seed file against its pin: its BLAKE3, and the pin (null for a version eka has none for). */
export interface SeedFileCheck {
  file: "gen/llvm.core.wasm" | "gen/llvm-resources.tar";
  size: number;
  blake3: string;
  pin: string | null;
  ok: boolean;
}

/** Each file's hash against the pins of `version` (E_SEED when the module is not WebAssembly). */
export function checkSeedFiles(version: string, { wasm, resourcesTar }: SeedBytes): SeedFileCheck[] {
  if (wasm.length < 8 || wasm[0] !== 0 || wasm[1] !== 0x61) throw new EkaError("E_SEED", `the seed module of @yowasp/clang ${version} is not WebAssembly; reinstall the package (npm ci)`);
  const pin = SEED_PINS[version];
  return ([["gen/llvm.core.wasm", wasm, pin?.wasm], ["gen/llvm-resources.tar", resourcesTar, pin?.resourcesTar]] as const).map(([file, bytes, want]) => {
    const actual = toHex(blake3(bytes));
    return { file, size: bytes.length, blake3: actual, pin: want ?? null, ok: want === undefined || actual === want };
  });
}

/** The E_HASH_MISMATCH of a file that differs from its pin, naming both hashes. */
export function seedMismatch(version: string, c: SeedFileCheck, fix = "Reinstall the package (npm ci); nothing was imported."): EkaError {
  return new EkaError("E_HASH_MISMATCH", `the seed's ${c.file} of @yowasp/clang ${version} does not match its pin\n  expected: blake3:${c.pin}\n  actual:   blake3:${c.blake3}\n${fix}`);
}

/** Checks the files against the pins of `version` (E_SEED, E_HASH_MISMATCH naming both hashes). */
export function verifySeed(version: string, bytes: SeedBytes): void {
  const bad = checkSeedFiles(version, bytes).find((c) => !c.ok);
  if (bad) throw seedMismatch(version, bad);
}

/**
 * Verifies the files and adds them to the store as `<seed>/llvm.wasm` and `<seed>/usr/…`; returns the
 * store path. Importing again is harmless (the same objects), so callers check `store.has` first
 * only to skip reading the files.
 */
export async function importSeed(store: Store, version: string, files: () => Promise<SeedBytes>): Promise<string> {
  const storePath = seedStorePath(version);
  const bytes = await files();
  verifySeed(version, bytes);
  // Loaded only here, so computing the seed's store path costs a no-op build nothing.
  const { sysrootEntries } = await import("../toolchains/clang/seed.ts");
  const tree = new MemoryTree();
  tree.put(SEED_MODULE, { kind: "file", data: bytes.wasm, executable: false });
  tree.put(SEED_SYSROOT, { kind: "directory" });
  for (const e of await sysrootEntries(bytes.resourcesTar)) {
    const p = `${SEED_SYSROOT}/${e.path}`;
    tree.put(p, e.data === undefined ? { kind: "directory" } : { kind: "file", data: e.data, executable: false });
  }
  store.ingest(tree, "", { storePath, references: [] });
  return storePath;
}
