/**
 * Node entry to store/: opens file stores, resolves the default store address, and adds
 * materialize() (read-only host checkouts of store paths: checkout.node.ts).
 */
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { EkaError } from "../errors.ts";
import { initBlake3 } from "../util/blake3.ts";
import { FileBackend } from "./backends/file.node.ts";
import type { Backend } from "./backend.ts";
import { LayeredBackend } from "./backends/layered.ts";
import { openBackendByAddress, StoreImpl, type Store } from "./store.ts";
import { useSha256 } from "./sha256.ts";
import { materializeCheckout } from "./checkout.node.ts";

// Native SHA-256 for NAR hashes on Node; node:crypto is loaded on first use, as loading it cost a
// no-op `eka build` (which hashes no NAR) two milliseconds.
const nodeRequire = createRequire(import.meta.url);
useSha256(() => {
  const h = (nodeRequire("node:crypto") as typeof import("node:crypto")).createHash("sha256");
  return { update: (b) => void h.update(b), digest: () => new Uint8Array(h.digest()) };
});

/**
 * The store address to use: `$EKA_STORE` (an address or a directory path), else
 * `$XDG_DATA_HOME/eka/store`, else `~/.local/share/eka/store`.
 */
export function defaultStoreAddress(env: Record<string, string | undefined> = process.env): string {
  if (env.EKA_STORE) return normalizeAddress(env.EKA_STORE);
  const data = env.XDG_DATA_HOME || path.join(os.homedir(), ".local", "share");
  return pathToFileURL(path.join(data, "eka", "store")).href;
}

/** Accepts a plain directory path as well as an address. */
export function normalizeAddress(address: string): string {
  if (address.includes("|")) return address.split("|").map(normalizeAddress).join("|");
  if (/^[a-z][a-z0-9+.-]*:/i.test(address) && !/^[a-z]:[\\/]/i.test(address)) return address;
  return pathToFileURL(path.resolve(address)).href;
}

/** Opens any store address (default: defaultStoreAddress()). */
export async function openStore(address: string = defaultStoreAddress()): Promise<Store> {
  await initBlake3();
  return new NodeStore(openBackendByAddress(normalizeAddress(address), { openBackend: FileBackend.fromAddress }));
}

/** The file backend a store writes through (the far one when layered), or null. */
export function fileBackendOf(backend: Backend): FileBackend | null {
  if (backend instanceof FileBackend) return backend;
  if (backend instanceof LayeredBackend) return fileBackendOf(backend.far) ?? fileBackendOf(backend.near);
  return null;
}

export class NodeStore extends StoreImpl {
  materialize(storePath: string): string {
    const fb = fileBackendOf(this.backend);
    if (!fb) throw new EkaError("E_STORE_ADDRESS", `materialize needs a file store, and ${this.address} is not one`);
    return materializeCheckout(this, fb, storePath);
  }
}

export { removeReadOnlyTree } from "./checkout.node.ts";
export { FileBackend } from "./backends/file.node.ts";
export { hostTree } from "./host-tree.node.ts";
export type { Store } from "./store.ts";
