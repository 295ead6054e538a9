/**
 * Store paths named by their content rather than by a pid: trees added by hand (`eka store add`)
 * and fixed-output sources (builder/'s sourceStorePath) both get theirs here.
 */
import { digestOf } from "./digest.ts";
import { makeStorePath } from "./store-path.ts";
import type { Store } from "./store.ts";
import type { PathInfo, TreeReader } from "./types.ts";

/** `name` under the first 160 bits of BLAKE3("eka-source:<key>"); `key` names the content. */
export function contentStorePath(key: string, name: string): string {
  return makeStorePath(digestOf(new TextEncoder().encode(`eka-source:${key}`)), name);
}

/** Adds and registers `root` of `tree` as a path named by its cid and `name`, without references. */
export function addSource(store: Store, tree: TreeReader, root: string, name: string): PathInfo {
  return store.backend.withLock(() => {
    const cid = store.addTree(tree, root);
    return store.register({ storePath: contentStorePath(`${cid}:${name}`, name), cid });
  });
}
