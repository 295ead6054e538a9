/**
 * Store objects read as a TreeReader: rooted at one cid (Store.tree), or at the store directory
 * showing some registered paths by basename (Store.view). Directories are decoded once and indexed
 * by name; file contents, checked on their first read, are kept up to a budget so a compiler
 * re-reading the same headers doesn't re-hash them.
 */
import { EkaError } from "../errors.ts";
import type { Digest } from "./digest.ts";
import type { Store } from "./store.ts";
import type { DirEntry, TreeReader, TreeStat } from "./types.ts";

type Node = { kind: "directory"; digest: Digest } | DirEntry;

export interface ObjectTreeOptions {
  /** Bytes of file contents kept after their first read (default 64 MiB; 0 for one-pass readers). */
  cacheBytes?: number;
  /** Names the tree in error messages (default: the cid, or the store directory). */
  label?: string;
}

const utf8 = new TextEncoder();

export class ObjectTreeReader implements TreeReader {
  private readonly dirs = new Map<Digest, Map<string, DirEntry>>();
  private readonly files = new Map<Digest, Uint8Array>();
  private cachedBytes = 0;
  private readonly cacheBytes: number;
  private readonly label: string;

  /** `top`: a cid ("" is its root), or store basenames → cids ("" lists the basenames). */
  constructor(
    private readonly store: Store,
    private readonly top: Digest | ReadonlyMap<string, Digest>,
    opts: ObjectTreeOptions = {},
  ) {
    this.cacheBytes = opts.cacheBytes ?? 64 * 1024 * 1024;
    this.label = opts.label ?? (typeof top === "string" ? `tree ${top}` : store.storeDir);
  }

  private where(path: string): string {
    return path === "" ? this.label : `${this.label}/${path}`;
  }

  private dir(d: Digest): Map<string, DirEntry> {
    let dir = this.dirs.get(d);
    if (!dir) {
      const got = this.store.directories.get(d);
      if (!got) throw new EkaError("E_MISSING_OBJECT", `directory ${d} is missing from ${this.store.address}; run 'eka store verify'`);
      dir = new Map(got.entries.map((e) => [e.name, e]));
      this.dirs.set(d, dir);
    }
    return dir;
  }

  /** A tree whose root is a file or symlink is a directory holding one entry named "". */
  private rootOf(cid: Digest): Node {
    return this.dir(cid).get("") ?? { kind: "directory", digest: cid };
  }

  /** null for the store directory itself (a view's ""); undefined if missing. */
  private resolve(path: string): Node | null | undefined {
    const parts = path === "" ? [] : path.split("/");
    let node: Node;
    if (typeof this.top === "string") node = this.rootOf(this.top);
    else {
      const first = parts.shift();
      if (first === undefined) return null;
      const cid = this.top.get(first);
      if (!cid) return undefined;
      node = this.rootOf(cid);
    }
    for (const name of parts) {
      if (node.kind !== "directory") return undefined;
      const e = this.dir(node.digest).get(name);
      if (!e) return undefined;
      node = e;
    }
    return node;
  }

  stat(path: string): TreeStat | null {
    const n = this.resolve(path);
    if (n === undefined) return null;
    if (n === null || n.kind === "directory") return { kind: "directory", size: 0, executable: false };
    if (n.kind === "symlink") return { kind: "symlink", size: utf8.encode(n.target).length, executable: false };
    return { kind: "file", size: n.size, executable: n.executable };
  }

  readdir(path: string): string[] {
    const n = this.resolve(path);
    if (n === null) return [...(this.top as ReadonlyMap<string, Digest>).keys()].sort();
    if (n === undefined || n.kind !== "directory") throw new EkaError("E_NOT_DIRECTORY", `${this.where(path)} is not a directory`);
    return [...this.dir(n.digest).keys()];
  }

  readFile(path: string): Uint8Array {
    const n = this.resolve(path);
    if (!n || n.kind !== "file") throw new EkaError("E_NOT_FILE", `${this.where(path)} is not a file`);
    const cached = this.files.get(n.digest);
    if (cached) return cached;
    const bytes = this.store.blobs.get(n.digest);
    if (!bytes) throw new EkaError("E_MISSING_OBJECT", `blob ${n.digest} of ${this.where(path)} is missing from ${this.store.address}; run 'eka store verify'`);
    if (bytes.length !== n.size) throw new EkaError("E_CORRUPT_OBJECT", `blob ${n.digest} is ${bytes.length} bytes, but its directory says ${n.size}; 'eka store verify' names the paths that use it and 'eka store repair' mends them`);
    if (this.cachedBytes + bytes.length <= this.cacheBytes) {
      this.files.set(n.digest, bytes);
      this.cachedBytes += bytes.length;
    }
    return bytes;
  }

  readlink(path: string): string {
    const n = this.resolve(path);
    if (!n || n.kind !== "symlink") throw new EkaError("E_NOT_SYMLINK", `${this.where(path)} is not a symlink`);
    return n.target;
  }
}
