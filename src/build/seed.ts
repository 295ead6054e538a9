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

/** Adds the seed to the store unless it is there; returns its store path. */
export async function importSeed(store: Store, version: string, files: () => Promise<{ wasm: Uint8Array; resourcesTar: Uint8Array }>): Promise<string> {
  const storePath = seedStorePath(version);
  if (store.has(storePath)) return storePath;
  const { wasm, resourcesTar } = await files();
  // Loaded only here, so importing seedStorePath costs a no-op build nothing.
  const { unpackTar } = await import("modern-tar");
  if (wasm.length < 8 || wasm[0] !== 0 || wasm[1] !== 0x61) throw new EkaError("E_SEED", `the seed module is not WebAssembly`);
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

export function seedFingerprint(wasm: Uint8Array): string {
  return toHex(blake3(wasm));
}
