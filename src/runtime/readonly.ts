/** A read-only view of another file system: every mutation fails with ROFS. */
import { type DirEntry, type FileHandle, type FileSystem, FsError, type OpenOptions, type Stat } from "./fs.ts";

export class ReadOnlyFS implements FileSystem {
  readonly readonly = true;
  constructor(readonly inner: FileSystem) {}

  stat(path: string): Stat {
    return this.inner.stat(path);
  }
  readdir(path: string): DirEntry[] {
    return this.inner.readdir(path);
  }
  open(path: string, opts: OpenOptions = {}): FileHandle {
    if (opts.write || opts.truncate) rofs(path);
    if (opts.create) {
      // O_CREAT on an existing file is a plain open (POSIX); only creating is refused.
      this.inner.stat(path);
      if (opts.exclusive) throw new FsError("EXIST", `'${path}' exists`);
    }
    return new ReadOnlyHandle(this.inner.open(path), path);
  }
  mkdir(path: string): void {
    rofs(path);
  }
  rmdir(path: string): void {
    rofs(path);
  }
  unlink(path: string): void {
    rofs(path);
  }
  rename(from: string, _to: string): void {
    rofs(from);
  }
  symlink(_target: string, path: string): void {
    rofs(path);
  }
  readlink(path: string): string {
    return this.inner.readlink(path);
  }
  link(_existing: string, path: string): void {
    rofs(path);
  }
  setTimes(path: string, _atimeNs: bigint | null, _mtimeNs: bigint | null): void {
    rofs(path);
  }
  setExecutable(path: string, _executable: boolean): void {
    rofs(path);
  }
}

class ReadOnlyHandle implements FileHandle {
  constructor(
    private readonly h: FileHandle,
    private readonly path: string,
  ) {}
  read(buf: Uint8Array, pos: number): number {
    return this.h.read(buf, pos);
  }
  write(): number {
    return rofs(this.path);
  }
  size(): number {
    return this.h.size();
  }
  truncate(): void {
    rofs(this.path);
  }
  stat(): Stat {
    return this.h.stat();
  }
  setTimes(): void {
    rofs(this.path);
  }
  sync(): void {}
  close(): void {
    this.h.close();
  }
}

function rofs(path: string): never {
  throw new FsError("ROFS", `'${path}' is on a read-only file system`);
}
