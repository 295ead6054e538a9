/**
 * An in-memory file system. File contents live in a buffer with spare capacity that grows
 * geometrically, so a sequence of appends copies each byte O(1) times amortised (the anchor
 * design this replaces copied the whole file on every write).
 */
import { type DirEntry, type FileHandle, type FileSystem, FsError, type OpenOptions, type Stat, baseName, parentOf } from "./fs.ts";

export interface MemoryFSOptions {
  /**
   * The clock for implicit time updates (ns since the epoch); default: the wall clock. Builds that
   * must be reproducible pass `tickingClock(epochNs)`, so guests that record mtimes (tar, ar)
   * see the same times every run while later writes still look newer.
   */
  now?: () => bigint;
}

/** A clock starting at `epochNs` that advances `stepNs` per reading. */
export function tickingClock(epochNs: bigint, stepNs = 1000n): () => bigint {
  let t = epochNs;
  return () => (t += stepNs);
}

export class MemoryFS implements FileSystem {
  readonly readonly = false;
  /** Bytes moved by buffer growth, summed over the file system's life (tests assert appends stay linear). */
  bytesCopied = 0;
  private nextIno = 1n;
  private readonly root: DirNode;
  readonly now: () => bigint;

  constructor(opts: MemoryFSOptions = {}) {
    this.now = opts.now ?? wallClockNs;
    this.root = this.newDir();
  }

  stat(path: string): Stat {
    return statOf(this.lookup(path));
  }

  readdir(path: string): DirEntry[] {
    const d = this.dir(path);
    const out: DirEntry[] = [];
    for (const [name, n] of d.entries) out.push({ name, kind: n.kind, ino: n.ino });
    return out;
  }

  open(path: string, opts: OpenOptions = {}): FileHandle {
    const parent = this.dir(parentOf(path));
    const name = baseName(path);
    let node = path === "" ? this.root : parent.entries.get(name);
    if (node && opts.create && opts.exclusive) throw new FsError("EXIST", `'${path}' exists`);
    if (!node) {
      if (!opts.create) throw new FsError("NOENT", `'${path}' does not exist`);
      node = this.newFile();
      this.link1(parent, name, node);
    }
    if (node.kind === "dir") throw new FsError("ISDIR", `'${path}' is a directory`);
    if (node.kind === "symlink") throw new FsError("LOOP", `'${path}' is a symlink`);
    const file = node;
    if (opts.truncate && file.length !== 0) {
      file.length = 0;
      this.touch(file);
    }
    return new MemoryFileHandle(this, file, opts.write === true);
  }

  mkdir(path: string): void {
    const parent = this.dir(parentOf(path));
    const name = baseName(path);
    if (path === "" || parent.entries.has(name)) throw new FsError("EXIST", `'${path}' exists`);
    const d = this.newDir();
    d.parent = parent;
    this.link1(parent, name, d);
  }

  rmdir(path: string): void {
    if (path === "") throw new FsError("BUSY", "cannot remove the root directory");
    const parent = this.dir(parentOf(path));
    const node = parent.entries.get(baseName(path));
    if (!node) throw new FsError("NOENT", `'${path}' does not exist`);
    if (node.kind !== "dir") throw new FsError("NOTDIR", `'${path}' is not a directory`);
    if (node.entries.size) throw new FsError("NOTEMPTY", `'${path}' is not empty`);
    this.unlink1(parent, baseName(path));
  }

  unlink(path: string): void {
    const parent = this.dir(parentOf(path));
    const node = parent.entries.get(baseName(path));
    if (!node) throw new FsError("NOENT", `'${path}' does not exist`);
    if (node.kind === "dir") throw new FsError("ISDIR", `'${path}' is a directory`);
    this.unlink1(parent, baseName(path));
  }

  rename(from: string, to: string): void {
    if (from === "" || to === "") throw new FsError("BUSY", "cannot rename the root directory");
    const fromParent = this.dir(parentOf(from));
    const toParent = this.dir(parentOf(to));
    const node = fromParent.entries.get(baseName(from));
    if (!node) throw new FsError("NOENT", `'${from}' does not exist`);
    const existing = toParent.entries.get(baseName(to));
    if (existing === node) return;
    // Onto its own ancestor (which cannot be empty): Linux checks this before the kinds.
    if (from.startsWith(to + "/")) throw new FsError("NOTEMPTY", `'${to}' contains '${from}'`);
    if (node.kind === "dir") {
      // A directory may not move into itself or below itself.
      for (let d: DirNode | undefined = toParent; d; d = d.parent) {
        if (d === node) throw new FsError("INVAL", `cannot move '${from}' into itself ('${to}')`);
      }
    }
    if (existing) {
      if (existing.kind === "dir") {
        if (node.kind !== "dir") throw new FsError("ISDIR", `'${to}' is a directory`);
        if (existing.entries.size) throw new FsError("NOTEMPTY", `'${to}' is not empty`);
      } else if (node.kind === "dir") {
        throw new FsError("NOTDIR", `'${to}' is not a directory`);
      }
      this.unlink1(toParent, baseName(to));
    }
    fromParent.entries.delete(baseName(from));
    this.touch(fromParent);
    toParent.entries.set(baseName(to), node);
    this.touch(toParent);
    if (node.kind === "dir") {
      node.parent = toParent;
      fromParent.subdirs--;
      toParent.subdirs++;
    }
    node.ctime = this.now();
  }

  symlink(target: string, path: string): void {
    const parent = this.dir(parentOf(path));
    const name = baseName(path);
    if (path === "" || parent.entries.has(name)) throw new FsError("EXIST", `'${path}' exists`);
    const t = this.now();
    this.link1(parent, name, { kind: "symlink", ino: this.nextIno++, nlink: 0, atime: t, mtime: t, ctime: t, target });
  }

  readlink(path: string): string {
    const n = this.lookup(path);
    if (n.kind !== "symlink") throw new FsError("INVAL", `'${path}' is not a symlink`);
    return n.target;
  }

  link(existing: string, path: string): void {
    // Errors in the order POSIX systems check them: source, target parent, target, kind.
    const node = this.lookup(existing);
    const parent = this.dir(parentOf(path));
    const name = baseName(path);
    if (path === "" || parent.entries.has(name)) throw new FsError("EXIST", `'${path}' exists`);
    if (node.kind === "dir") throw new FsError("PERM", `cannot hard-link directory '${existing}'`);
    this.link1(parent, name, node);
    node.ctime = this.now();
  }

  setTimes(path: string, atimeNs: bigint | null, mtimeNs: bigint | null): void {
    setNodeTimes(this.lookup(path), atimeNs, mtimeNs, this.now());
  }

  setExecutable(path: string, executable: boolean): void {
    const n = this.lookup(path);
    if (n.kind === "file") n.executable = executable;
  }

  /** Grows `file`'s buffer to hold at least `need` bytes, geometrically. */
  reserve(file: FileNode, need: number): void {
    if (need <= file.data.length) return;
    if (need > MAX_FILE_BYTES) throw new FsError("FBIG", `a file of ${need} bytes is larger than MemoryFS allows (${MAX_FILE_BYTES})`);
    const cap = Math.min(Math.max(need, file.data.length * 2, 64), MAX_FILE_BYTES);
    let next: Uint8Array;
    try {
      next = new Uint8Array(cap);
    } catch {
      throw new FsError("NOSPC", `cannot allocate ${cap} bytes for a file`);
    }
    next.set(file.data.subarray(0, file.length));
    this.bytesCopied += file.length;
    file.data = next;
  }

  touch(n: Node): void {
    n.mtime = n.ctime = this.now();
  }

  private lookup(path: string): Node {
    if (path === "") return this.root;
    let cur: Node = this.root;
    for (const c of path.split("/")) {
      if (cur.kind !== "dir") throw new FsError(cur.kind === "symlink" ? "NOTDIR" : "NOTDIR", `'${path}': a parent is not a directory`);
      const next: Node | undefined = cur.entries.get(c);
      if (!next) throw new FsError("NOENT", `'${path}' does not exist`);
      cur = next;
    }
    return cur;
  }

  private dir(path: string): DirNode {
    const n = this.lookup(path);
    if (n.kind !== "dir") throw new FsError("NOTDIR", `'${path}' is not a directory`);
    return n;
  }

  private newDir(): DirNode {
    const t = this.now();
    return { kind: "dir", ino: this.nextIno++, nlink: 0, atime: t, mtime: t, ctime: t, entries: new Map(), parent: undefined, subdirs: 0 };
  }

  private newFile(): FileNode {
    const t = this.now();
    return { kind: "file", ino: this.nextIno++, nlink: 0, atime: t, mtime: t, ctime: t, data: EMPTY, length: 0, executable: false };
  }

  private link1(parent: DirNode, name: string, node: Node): void {
    parent.entries.set(name, node);
    node.nlink++;
    if (node.kind === "dir") parent.subdirs++;
    this.touch(parent);
  }

  private unlink1(parent: DirNode, name: string): void {
    const node = parent.entries.get(name);
    parent.entries.delete(name);
    this.touch(parent);
    if (node) {
      node.nlink--;
      if (node.kind === "dir") parent.subdirs--;
      node.ctime = this.now();
    }
  }
}

class MemoryFileHandle implements FileHandle {
  constructor(
    private readonly fs: MemoryFS,
    private readonly file: FileNode,
    private readonly writable: boolean,
  ) {}

  read(buf: Uint8Array, pos: number): number {
    const f = this.file;
    if (pos >= f.length) return 0;
    const n = Math.min(buf.length, f.length - pos);
    buf.set(f.data.subarray(pos, pos + n));
    return n;
  }

  write(buf: Uint8Array, pos: number): number {
    if (!this.writable) throw new FsError("BADF", "file is not open for writing");
    const f = this.file;
    const end = pos + buf.length;
    this.fs.reserve(f, end);
    // Bytes between the old end and `pos` must read as zeros; the buffer may hold stale bytes
    // there from an earlier truncate.
    if (pos > f.length) f.data.fill(0, f.length, pos);
    f.data.set(buf, pos);
    if (end > f.length) f.length = end;
    this.fs.touch(f);
    return buf.length;
  }

  size(): number {
    return this.file.length;
  }

  truncate(size: number): void {
    if (!this.writable) throw new FsError("BADF", "file is not open for writing");
    const f = this.file;
    if (size > f.length) {
      this.fs.reserve(f, size);
      f.data.fill(0, f.length, size);
    }
    f.length = size;
    this.fs.touch(f);
  }

  stat(): Stat {
    return statOf(this.file);
  }

  setTimes(atimeNs: bigint | null, mtimeNs: bigint | null): void {
    setNodeTimes(this.file, atimeNs, mtimeNs, this.fs.now());
  }

  sync(): void {}
  close(): void {}
}

interface NodeBase {
  ino: bigint;
  nlink: number;
  atime: bigint;
  mtime: bigint;
  ctime: bigint;
}
interface FileNode extends NodeBase {
  kind: "file";
  /** Capacity ≥ length; bytes past `length` are spare. */
  data: Uint8Array;
  length: number;
  executable: boolean;
}
interface DirNode extends NodeBase {
  kind: "dir";
  entries: Map<string, Node>;
  parent: DirNode | undefined;
  /** Child directories, for nlink (2 + subdirs) without a scan. */
  subdirs: number;
}
interface SymlinkNode extends NodeBase {
  kind: "symlink";
  target: string;
}
type Node = FileNode | DirNode | SymlinkNode;

const EMPTY = new Uint8Array(0);
/** One buffer per file: the largest typed array every JS engine allows is about 2 GiB. */
const MAX_FILE_BYTES = 2 ** 31 - 1;
const textEncoder = new TextEncoder();

function statOf(n: Node): Stat {
  return {
    kind: n.kind,
    size: n.kind === "file" ? n.length : n.kind === "symlink" ? textEncoder.encode(n.target).length : 0,
    ino: n.ino,
    nlink: n.kind === "dir" ? 2 + n.subdirs : n.nlink,
    atimeNs: n.atime,
    mtimeNs: n.mtime,
    ctimeNs: n.ctime,
    executable: n.kind === "file" ? n.executable : true,
  };
}

function setNodeTimes(n: Node, atimeNs: bigint | null, mtimeNs: bigint | null, now: bigint): void {
  if (atimeNs !== null) n.atime = atimeNs;
  if (mtimeNs !== null) n.mtime = mtimeNs;
  n.ctime = now;
}

export function wallClockNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
}
