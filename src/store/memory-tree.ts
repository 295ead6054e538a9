/**
 * The one in-memory file tree: what sources are fetched and unpacked into, what a NAR is parsed
 * into, what a step's outputs are gathered in. It is a TreeReader (the store adds it, narHash
 * hashes it, the builder copies from it) and a NarSink. Paths are relative, '/'-separated, ""
 * is the root, which is an empty directory until something else is put there.
 */
import { EkaError } from "../errors.ts";
import { concatBytes } from "../util/bytes.ts";
import { compareNames } from "./directory.ts";
import type { NarSink } from "./nar.ts";
import type { TreeReader, TreeStat } from "./types.ts";

/** One entry of a MemoryTree, as put() takes it and entry() gives it. */
export type TreeEntry =
  | { kind: "file"; data: Uint8Array; executable: boolean }
  | { kind: "directory" }
  | { kind: "symlink"; target: string };

type Node = Exclude<TreeEntry, { kind: "directory" }> | { kind: "directory"; children: Map<string, Node> };

const utf8 = new TextEncoder();

export class MemoryTree implements TreeReader, NarSink {
  private root: Node = emptyDir();

  /** A copy of `root` of `tree` in memory: later changes to `tree` do not show in it. */
  static copyOf<T extends MemoryTree>(this: new () => T, tree: TreeReader, root = ""): T {
    const out = new this();
    const copy = (from: string, to: string) => {
      const st = tree.stat(from);
      if (!st) throw new EkaError("E_NOT_FOUND", `cannot copy '${from || "."}': it does not exist`);
      if (st.kind === "directory") {
        out.put(to, { kind: "directory" });
        for (const name of tree.readdir(from)) copy(join(from, name), join(to, name));
      } else if (st.kind === "symlink") out.put(to, { kind: "symlink", target: tree.readlink(from) });
      else out.put(to, { kind: "file", data: tree.readFile(from), executable: st.executable });
    };
    copy(root, "");
    return out;
  }

  /**
   * Puts `entry` at `path`, making missing parent directories; a directory put where one is keeps
   * what it holds. `.` components are dropped; `..`, or a parent that is not a directory, throws.
   */
  put(path: string, entry: TreeEntry): void {
    const parts = path.split("/").filter((p) => p !== "" && p !== ".");
    if (parts.includes("..")) throw new Error(`path '${path}' leaves its tree`);
    const name = parts.pop();
    if (name === undefined) {
      if (entry.kind !== "directory" || this.root.kind !== "directory") this.root = toNode(entry);
      return;
    }
    let dir = this.root;
    for (let i = 0; i < parts.length && dir.kind === "directory"; i++) {
      let next = dir.children.get(parts[i] as string);
      if (!next) dir.children.set(parts[i] as string, (next = emptyDir()));
      dir = next;
    }
    if (dir.kind !== "directory") throw new Error(`'${path}' lies under a file or symlink, not a directory`);
    if (entry.kind === "directory" && dir.children.get(name)?.kind === "directory") return;
    dir.children.set(name, toNode(entry));
  }

  /** The entry at `path` (a directory without its contents), or null. */
  entry(path: string): TreeEntry | null {
    const n = this.node(path);
    return n === null ? null : n.kind === "directory" ? { kind: "directory" } : n;
  }

  /** Removes `path` and everything below it; the root cannot be removed. */
  remove(path: string): void {
    const i = path.lastIndexOf("/");
    const parent = this.node(i < 0 ? "" : path.slice(0, i));
    if (path !== "" && parent?.kind === "directory") parent.children.delete(path.slice(i + 1));
  }

  /** The directory at `path` as a tree of its own (sharing its entries), or null. */
  subtree(path: string): MemoryTree | null {
    const n = this.node(path);
    if (n?.kind !== "directory") return null;
    const t = new MemoryTree();
    t.root = n;
    return t;
  }

  private node(path: string): Node | null {
    let n: Node | undefined = this.root;
    if (path === "") return n;
    for (const p of path.split("/")) {
      if (n.kind !== "directory") return null;
      n = n.children.get(p);
      if (!n) return null;
    }
    return n;
  }

  // TreeReader

  stat(path: string): TreeStat | null {
    const n = this.node(path);
    if (!n) return null;
    if (n.kind === "file") return { kind: "file", size: n.data.length, executable: n.executable };
    if (n.kind === "symlink") return { kind: "symlink", size: utf8.encode(n.target).length, executable: false };
    return { kind: "directory", size: 0, executable: false };
  }
  /** Names in byte order, as NAR and directory objects have them. */
  readdir(path: string): string[] {
    const n = this.node(path);
    if (n?.kind !== "directory") throw new EkaError("E_NOT_DIRECTORY", `'${path}' is not a directory`);
    return [...n.children.keys()].sort(compareNames);
  }
  readFile(path: string): Uint8Array {
    const n = this.node(path);
    if (n?.kind !== "file") throw new EkaError("E_NOT_FILE", `'${path}' is not a file`);
    return n.data;
  }
  readlink(path: string): string {
    const n = this.node(path);
    if (n?.kind !== "symlink") throw new EkaError("E_NOT_SYMLINK", `'${path}' is not a symlink`);
    return n.target;
  }

  // NarSink

  directory(path: string): void {
    this.put(path, { kind: "directory" });
  }
  async file(path: string, executable: boolean, _size: number, contents: AsyncIterable<Uint8Array>): Promise<void> {
    const parts: Uint8Array[] = [];
    for await (const c of contents) parts.push(c.slice());
    this.put(path, { kind: "file", data: concatBytes(parts.length ? parts : [new Uint8Array()]), executable });
  }
  symlink(path: string, target: string): void {
    this.put(path, { kind: "symlink", target });
  }
}

function emptyDir(): Node {
  return { kind: "directory", children: new Map() };
}

function toNode(e: TreeEntry): Node {
  return e.kind === "directory" ? emptyDir() : e;
}

function join(a: string, b: string): string {
  return a === "" ? b : `${a}/${b}`;
}
