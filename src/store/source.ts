/** Store paths for trees added by hand (`eka store add`): named by their content, not a pid. */
import { digestOf, type Digest } from "./digest.ts";
import { makeStorePath } from "./store-path.ts";
import type { Store } from "./store.ts";
import type { PathInfo, TreeReader } from "./types.ts";

/** The store path of a hand-added tree: BLAKE3 of "eka-source:<cid>:<name>", first 160 bits. */
export function sourceStorePath(cid: Digest, name: string): string {
  return makeStorePath(digestOf(new TextEncoder().encode(`eka-source:${cid}:${name}`)), name);
}

/** Adds and registers `root` of `tree` as a content-named store path without references. */
export function addSource(store: Store, tree: TreeReader, root: string, name: string): PathInfo {
  return store.backend.withLock(() => {
    const cid = store.addTree(tree, root);
    return store.register({ storePath: sourceStorePath(cid, name), cid });
  });
}
