// Sandboxes without a host file system (browsers, edge workers): work directories are runtime
// MemoryFS instances and inputs are read-only file systems over store views. Steps run in this
// thread: an InThreadExecutor mounts these file systems as they are.
import { FsError, mkdirp, readFile, writeFile, type DirEntry, type FileHandle, type FileSystem, type Stat } from "../runtime/fs.ts";
import { MemoryFS, tickingClock } from "../runtime/memfs.ts";
import type { Store } from "../store/store.ts";
import type { TreeReader } from "../store/types.ts";
import type { Mount } from "./executor.ts";
import type { SandboxHost, WorkDir } from "./sandbox.ts";

export class MemoryWorkDir implements WorkDir {
  // A virtual clock (from SOURCE_DATE_EPOCH's default, 1 s), not the wall clock, so a guest that
  // records mtimes (ar, tar) writes the same bytes on every build.
  readonly fs = new MemoryFS({ now: tickingClock(1_000_000_000n) });
  mount(guest: string): Mount {
    return { guest, readonly: false, fs: this.fs };
  }
  reader(): TreeReader {
    return fsTreeReader(this.fs);
  }
  mkdirp(rel: string): void {
    if (rel) mkdirp(this.fs, rel);
  }
  writeFile(rel: string, data: Uint8Array, executable: boolean): void {
    this.remove(rel);
    writeFile(this.fs, rel, data, { executable });
  }
  symlink(rel: string, target: string): void {
    this.remove(rel);
    this.fs.symlink(target, rel);
  }
  remove(rel: string): void {
    let st: Stat;
    try {
      st = this.fs.stat(rel);
    } catch {
      return;
    }
    if (st.kind === "dir") {
      for (const e of this.fs.readdir(rel)) this.remove(`${rel}/${e.name}`);
      this.fs.rmdir(rel);
    } else this.fs.unlink(rel);
  }
  dispose(): void {}
}

export class MemorySandboxHost implements SandboxHost {
  private readonly inputs = new Map<string, FileSystem>();
  workDir(): WorkDir {
    return new MemoryWorkDir();
  }
  inputMount(store: Store, storePath: string, sub = "", guest = storePath): Mount {
    const key = `${store.address}\0${storePath}\0${sub}`;
    let fs = this.inputs.get(key);
    if (!fs) this.inputs.set(key, (fs = new TreeFS(store.pathTree(storePath), sub)));
    return { guest, readonly: true, fs };
  }
}

function fsTreeReader(fs: FileSystem): TreeReader {
  return {
    stat(p) {
      let st: Stat;
      try {
        st = fs.stat(p);
      } catch {
        return null;
      }
      if (st.kind === "dir") return { kind: "directory", size: 0, executable: false };
      if (st.kind === "symlink") return { kind: "symlink", size: st.size, executable: false };
      return { kind: "file", size: st.size, executable: st.executable };
    },
    readdir: (p) => fs.readdir(p).map((e) => e.name),
    readFile: (p) => readFile(fs, p),
    readlink: (p) => fs.readlink(p),
  };
}

/** A read-only FileSystem over `root` of a store TreeReader. */
class TreeFS implements FileSystem {
  readonly readonly = true;
  private readonly inodes = new Map<string, bigint>();
  constructor(
    private readonly tree: TreeReader,
    private readonly root: string,
  ) {}
  private p(path: string): string {
    return this.root === "" ? path : path === "" ? this.root : `${this.root}/${path}`;
  }
  private ino(path: string): bigint {
    let i = this.inodes.get(path);
    if (i === undefined) this.inodes.set(path, (i = BigInt(this.inodes.size + 1)));
    return i;
  }
  stat(path: string): Stat {
    const st = this.tree.stat(this.p(path));
    if (!st) throw new FsError("NOENT");
    const kind = st.kind === "directory" ? "dir" : st.kind;
    return { kind, size: st.size, ino: this.ino(path), nlink: 1, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n, executable: st.executable };
  }
  readdir(path: string): DirEntry[] {
    if (this.stat(path).kind !== "dir") throw new FsError("NOTDIR");
    return this.tree
      .readdir(this.p(path))
      .sort()
      .map((name) => {
        const sub = path === "" ? name : `${path}/${name}`;
        return { name, kind: this.stat(sub).kind, ino: this.ino(sub) };
      });
  }
  open(path: string, opts: { write?: boolean; create?: boolean; truncate?: boolean } = {}): FileHandle {
    if (opts.write || opts.truncate) throw new FsError("ROFS");
    let st: Stat;
    try {
      st = this.stat(path);
    } catch (e) {
      throw opts.create ? new FsError("ROFS") : e;
    }
    if (st.kind === "dir") throw new FsError("ISDIR");
    let data: Uint8Array | undefined;
    const bytes = () => (data ??= this.tree.readFile(this.p(path)));
    return {
      read(buf, pos) {
        const d = bytes();
        if (pos >= d.length) return 0;
        const n = Math.min(buf.length, d.length - pos);
        buf.set(d.subarray(pos, pos + n));
        return n;
      },
      write: readOnly,
      size: () => st.size,
      truncate: readOnly,
      stat: () => st,
      setTimes: readOnly,
      sync() {},
      close() {},
    };
  }
  readlink(path: string): string {
    if (this.stat(path).kind !== "symlink") throw new FsError("INVAL");
    return this.tree.readlink(this.p(path));
  }
  readonly mkdir = readOnly;
  readonly rmdir = readOnly;
  readonly unlink = readOnly;
  readonly rename = readOnly;
  readonly symlink = readOnly;
  readonly link = readOnly;
  readonly setTimes = readOnly;
}

/** Every change to a store view: refused, as a read-only file system does. */
function readOnly(): never {
  throw new FsError("ROFS");
}
