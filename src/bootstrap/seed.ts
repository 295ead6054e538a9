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

/** Checks the files against the pins of `version` (E_SEED, E_HASH_MISMATCH naming both hashes). */
export function verifySeed(version: string, { wasm, resourcesTar }: SeedBytes): void {
  if (wasm.length < 8 || wasm[0] !== 0 || wasm[1] !== 0x61) throw new EkaError("E_SEED", `the seed module of @yowasp/clang ${version} is not WebAssembly; reinstall the package (npm ci)`);
  const pin = SEED_PINS[version];
  if (!pin) return;
  for (const [what, bytes, want] of [["gen/llvm.core.wasm", wasm, pin.wasm], ["gen/llvm-resources.tar", resourcesTar, pin.resourcesTar]] as const) {
    const actual = toHex(blake3(bytes));
    if (actual !== want) {
      throw new EkaError(
        "E_HASH_MISMATCH",
        `the seed's ${what} of @yowasp/clang ${version} does not match its pin\n  expected: blake3:${want}\n  actual:   blake3:${actual}\nReinstall the package (npm ci); nothing was imported.`,
      );
    }
  }
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
