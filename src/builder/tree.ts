// builder/'s old names for the in-memory tree, kept while builder code outside this change
// (sandbox.ts's treeReader and writeTree, seed.ts, execute.ts, test/builder) still uses them.
// The tree itself is store/'s MemoryTree; new code uses it, narHash and bytesHash directly.
import { MemoryTree, type TreeEntry as Entry } from "../store/memory-tree.ts";

export { bytesHash, narHash } from "../store/hash.ts";

/** The old entry shape: `type` where MemoryTree says `kind`, "dir" for a directory. */
export type TreeEntry =
  | { type: "file"; data: Uint8Array; executable: boolean }
  | { type: "dir" }
  | { type: "symlink"; target: string };

/** A MemoryTree with the Map-style reads (get, keys, iteration) the old callers make. */
export class Tree extends MemoryTree {
  get(path: string): TreeEntry | undefined {
    const e = this.entry(path);
    if (!e) return undefined;
    return e.kind === "directory" ? { type: "dir" } : e.kind === "file" ? { type: "file", data: e.data, executable: e.executable } : { type: "symlink", target: e.target };
  }
  /** Every path, "" first, parents before children. */
  *keys(): Generator<string> {
    const walk = function* (t: MemoryTree, dir: string): Generator<string> {
      for (const name of t.readdir(dir)) {
        const p = dir === "" ? name : `${dir}/${name}`;
        yield p;
        if (t.stat(p)?.kind === "directory") yield* walk(t, p);
      }
    };
    yield "";
    if (this.stat("")?.kind === "directory") yield* walk(this, "");
  }
  *[Symbol.iterator](): Generator<[string, TreeEntry]> {
    for (const p of this.keys()) yield [p, this.get(p) as TreeEntry];
  }
}

export function newTree(): Tree {
  return new Tree();
}

/** Adds an entry and any missing parent directories. */
export function treePut(tree: Tree, path: string, entry: TreeEntry): void {
  const e: Entry = entry.type === "dir" ? { kind: "directory" } : entry.type === "file" ? { kind: "file", data: entry.data, executable: entry.executable } : { kind: "symlink", target: entry.target };
  tree.put(path, e);
}
