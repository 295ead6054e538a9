/** A small in-memory tree that is both a TreeReader and a NarSink target (used by imports). */
import { EkaError } from "../errors.ts";
import { concatBytes } from "../util/bytes.ts";
import type { NarSink } from "./nar.ts";
import type { TreeReader, TreeStat } from "./types.ts";

type MemNode =
  | { kind: "file"; data: Uint8Array; executable: boolean }
  | { kind: "directory"; children: Map<string, MemNode> }
  | { kind: "symlink"; target: string };

export class MemoryTree implements TreeReader, NarSink {
  private root: MemNode | null = null;

  private parentOf(path: string): { dir: Map<string, MemNode>; name: string } {
    const parts = path.split("/");
    const name = parts.pop() as string;
    let node = this.root;
    for (const p of parts) {
      node = node?.kind === "directory" ? (node.children.get(p) ?? null) : null;
    }
    if (!node || node.kind !== "directory") throw new EkaError("E_NOT_FOUND", `no directory for '${path}'`);
    return { dir: node.children, name };
  }

  private set(path: string, node: MemNode): void {
    if (path === "") {
      this.root = node;
      return;
    }
    const { dir, name } = this.parentOf(path);
    dir.set(name, node);
  }

  private get(path: string): MemNode | null {
    if (path === "") return this.root;
    let node = this.root;
    for (const p of path.split("/")) node = node?.kind === "directory" ? (node.children.get(p) ?? null) : null;
    return node;
  }

  directory(path: string): void {
    this.set(path, { kind: "directory", children: new Map() });
  }
  async file(path: string, executable: boolean, _size: number, contents: AsyncIterable<Uint8Array>): Promise<void> {
    const parts: Uint8Array[] = [];
    for await (const c of contents) parts.push(c.slice());
    this.set(path, { kind: "file", data: parts.length === 1 ? (parts[0] as Uint8Array) : concatBytes(parts), executable });
  }
  symlink(path: string, target: string): void {
    this.set(path, { kind: "symlink", target });
  }

  stat(path: string): TreeStat | null {
    const n = this.get(path);
    if (!n) return null;
    if (n.kind === "file") return { kind: "file", size: n.data.length, executable: n.executable };
    if (n.kind === "symlink") return { kind: "symlink", size: n.target.length, executable: false };
    return { kind: "directory", size: 0, executable: false };
  }
  readdir(path: string): string[] {
    const n = this.get(path);
    if (n?.kind !== "directory") throw new EkaError("E_NOT_DIRECTORY", `'${path}' is not a directory`);
    return [...n.children.keys()];
  }
  readFile(path: string): Uint8Array {
    const n = this.get(path);
    if (n?.kind !== "file") throw new EkaError("E_NOT_FILE", `'${path}' is not a file`);
    return n.data;
  }
  readlink(path: string): string {
    const n = this.get(path);
    if (n?.kind !== "symlink") throw new EkaError("E_NOT_SYMLINK", `'${path}' is not a symlink`);
    return n.target;
  }
}
