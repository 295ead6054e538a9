// Reference scanning: which store paths an output refers to, found by their 32-character hash part
// in any file or symlink target, as Nix does.
import type { TreeReader } from "../store/types.ts";
import { join } from "./sandbox.ts";

/** Store paths (of `candidates`) whose hash part occurs in any file or symlink of the tree (below `root`). */
export function scanReferences(tree: TreeReader, candidates: readonly string[], root = ""): string[] {
  const want = new Map(candidates.map((p) => [p.slice(p.lastIndexOf("/") + 1, p.lastIndexOf("/") + 33), p]));
  const found = new Set<string>();
  const dec = new TextDecoder("latin1");
  const visit = (p: string) => {
    const st = tree.stat(p);
    if (!st || found.size === want.size) return;
    let text: string;
    if (st.kind === "directory") {
      for (const n of tree.readdir(p)) visit(join(p, n));
      return;
    } else if (st.kind === "symlink") text = tree.readlink(p);
    else text = dec.decode(tree.readFile(p));
    for (const [h, path] of want) if (!found.has(path) && text.includes(h)) found.add(path);
  };
  visit(root);
  return [...found].sort();
}
