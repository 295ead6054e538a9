// An in-memory file tree keyed by relative path ("" is the root). Sources are fetched and unpacked
// into one before they are hashed, stored and mounted; kept independent of runtime/ and store/.
import { sha256 } from "@noble/hashes/sha2.js";
import { blake3Stream, toHex } from "../util/blake3.ts";
import type { HashAlgo } from "../ir/hash.ts";

export type TreeEntry =
  | { type: "file"; data: Uint8Array; executable: boolean }
  | { type: "dir" }
  | { type: "symlink"; target: string };

export type Tree = Map<string, TreeEntry>;

export function newTree(): Tree {
  return new Map([["", { type: "dir" }]]);
}

/** Adds an entry and any missing parent directories. */
export function treePut(tree: Tree, path: string, entry: TreeEntry): void {
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw new Error(`path '${path}' leaves its tree`);
  for (let i = 1; i < parts.length; i++) {
    const dir = parts.slice(0, i).join("/");
    if (!tree.has(dir)) tree.set(dir, { type: "dir" });
  }
  tree.set(parts.join("/"), entry);
}

/** Direct children of `dir`, sorted by byte order of their names (as NAR does). */
export function treeChildren(tree: Tree, dir: string): string[] {
  const prefix = dir === "" ? "" : dir + "/";
  const names: string[] = [];
  for (const p of tree.keys()) {
    if (p !== "" && p.startsWith(prefix) && !p.slice(prefix.length).includes("/")) names.push(p.slice(prefix.length));
  }
  return names.sort(compareBytes);
}

/** If the root holds exactly one directory and nothing else, returns the tree below it. */
export function stripSingleTopDir(tree: Tree): Tree {
  const top = treeChildren(tree, "");
  const only = top[0];
  if (top.length !== 1 || only === undefined || tree.get(only)?.type !== "dir") return tree;
  const out = newTree();
  for (const [p, e] of tree) if (p.startsWith(only + "/")) out.set(p.slice(only.length + 1), e);
  return out;
}

/** Hash of the NAR serialisation of the tree (what `nix hash path` hashes). */
export function narHash(tree: Tree, algo: HashAlgo): string {
  const h = algo === "sha256" ? sha256.create() : blake3Stream();
  const enc = new TextEncoder();
  const str = (b: Uint8Array) => {
    const len = new Uint8Array(8);
    new DataView(len.buffer).setUint32(0, b.length, true);
    new DataView(len.buffer).setUint32(4, Math.floor(b.length / 2 ** 32), true);
    h.update(len);
    h.update(b);
    const pad = (8 - (b.length % 8)) % 8;
    if (pad) h.update(new Uint8Array(pad));
  };
  const s = (t: string) => str(enc.encode(t));
  const node = (path: string) => {
    const e = tree.get(path);
    if (!e) throw new Error(`tree has no '${path}'`);
    s("(");
    s("type");
    if (e.type === "file") {
      s("regular");
      if (e.executable) {
        s("executable");
        s("");
      }
      s("contents");
      str(e.data);
    } else if (e.type === "symlink") {
      s("symlink");
      s("target");
      s(e.target);
    } else {
      s("directory");
      for (const name of treeChildren(tree, path)) {
        s("entry");
        s("(");
        s("name");
        s(name);
        s("node");
        node(path === "" ? name : `${path}/${name}`);
        s(")");
      }
    }
    s(")");
  };
  s("nix-archive-1");
  node("");
  return toHex(h.digest());
}

export function bytesHash(data: Uint8Array, algo: HashAlgo): string {
  return toHex(algo === "sha256" ? sha256(data) : blake3Stream().update(data).digest());
}

function compareBytes(a: string, b: string): number {
  // Names are compared as UTF-8 bytes; for the ASCII names of source trees code units agree.
  return a < b ? -1 : a > b ? 1 : 0;
}
