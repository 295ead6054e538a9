// The seed LLVM as a store object, so build steps take their compiler from the store like any
// other tool: `<seed>/llvm.wasm` (the multi-call module) and `<seed>/usr` (sysroot + clang
// resource dir, mounted at /usr in sandboxes of packages that have a `seed` input).
import { EkaError } from "../errors.ts";
import { makeStorePath } from "../store/store-path.ts";
import type { Store } from "../store/store.ts";
import { blake3, toHex } from "../util/blake3.ts";
import { treeReader } from "./sandbox.ts";
import { newTree, treePut } from "./tree.ts";

export const SEED_NAME = "llvm-seed";
export const SEED_MODULE = "llvm.wasm";

/**
 * The seed's store path, from its package version: cheap, so a no-op build needn't hash 100 MB.
 * The bytes are hashed when they are imported; bootstrap/ pins them.
 */
export function seedStorePath(version: string): string {
  const h = blake3(new TextEncoder().encode(`eka-seed:@yowasp/clang@${version}`));
  return makeStorePath(h, `${SEED_NAME}-${version.replace(/[^0-9A-Za-z+\-._?=]/g, "_")}`);
}

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

/** Adds the seed to the store unless it is there; returns its store path. */
export async function importSeed(store: Store, version: string, files: () => Promise<{ wasm: Uint8Array; resourcesTar: Uint8Array }>): Promise<string> {
  const storePath = seedStorePath(version);
  if (store.has(storePath)) return storePath;
  const { wasm, resourcesTar } = await files();
  // Loaded only here, so importing seedStorePath costs a no-op build nothing.
  const { unpackTar } = await import("modern-tar");
  if (wasm.length < 8 || wasm[0] !== 0 || wasm[1] !== 0x61) throw new EkaError("E_SEED", `the seed module is not WebAssembly`);
  const pin = SEED_PINS[version];
  if (pin) {
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
  const tree = newTree();
  treePut(tree, SEED_MODULE, { type: "file", data: wasm, executable: false });
  treePut(tree, "usr", { type: "dir" });
  for (const { header, data } of await unpackTar(resourcesTar)) {
    const name = header.name.replace(/^\.?\/*/, "");
    if (name === "") continue;
    const p = `usr/${name}`.replace(/\/$/, "");
    if (header.type === "directory") treePut(tree, p, { type: "dir" });
    else if (header.type === "symlink") treePut(tree, p, { type: "symlink", target: header.linkname ?? "" });
    else if ((header.type ?? "file") === "file") treePut(tree, p, { type: "file", data: data ?? new Uint8Array(), executable: ((header.mode ?? 0) & 0o100) !== 0 });
  }
  store.ingest(treeReader(tree), "", { storePath, references: [] });
  return storePath;
}
