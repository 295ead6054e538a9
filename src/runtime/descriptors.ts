/**
 * File descriptors of the WASI host. The host knows only `Descriptor`, whose every operation
 * fails by default; stdio, open files and open directories override what they support.
 * Operations throw `FsError`; the syscall table turns that into an errno.
 */
import { ALL_RIGHTS, FdFlags, type FilestatFields, Filetype, Rights, Whence } from "./abi.ts";
import { type FileHandle, type FileSystem, FsError, type Stat } from "./fs.ts";

const R = Rights;
export const FILE_RIGHTS =
  R.FD_DATASYNC | R.FD_READ | R.FD_SEEK | R.FD_FDSTAT_SET_FLAGS | R.FD_SYNC | R.FD_TELL | R.FD_WRITE |
  R.FD_ADVISE | R.FD_ALLOCATE | R.FD_FILESTAT_GET | R.FD_FILESTAT_SET_SIZE | R.FD_FILESTAT_SET_TIMES |
  R.POLL_FD_READWRITE;
export const DIR_RIGHTS =
  R.FD_FDSTAT_SET_FLAGS | R.FD_SYNC | R.FD_ADVISE | R.PATH_CREATE_DIRECTORY | R.PATH_CREATE_FILE |
  R.PATH_LINK_SOURCE | R.PATH_LINK_TARGET | R.PATH_OPEN | R.FD_READDIR | R.PATH_READLINK |
  R.PATH_RENAME_SOURCE | R.PATH_RENAME_TARGET | R.PATH_FILESTAT_GET | R.PATH_FILESTAT_SET_SIZE |
  R.PATH_FILESTAT_SET_TIMES | R.FD_FILESTAT_GET | R.FD_FILESTAT_SET_TIMES | R.PATH_SYMLINK |
  R.PATH_REMOVE_DIRECTORY | R.PATH_UNLINK_FILE | R.POLL_FD_READWRITE;
export { ALL_RIGHTS };

export abstract class Descriptor {
  abstract readonly filetype: number;
  fdflags = 0;
  constructor(
    public rightsBase: bigint,
    public rightsInheriting: bigint,
  ) {}

  /** Reads into each buffer in turn; returns the total. */
  read(_bufs: Uint8Array[]): number {
    throw new FsError("BADF");
  }
  write(_bufs: Uint8Array[]): number {
    throw new FsError("BADF");
  }
  pread(_bufs: Uint8Array[], _pos: number): number {
    throw new FsError("SPIPE");
  }
  pwrite(_bufs: Uint8Array[], _pos: number): number {
    throw new FsError("SPIPE");
  }
  seek(_offset: bigint, _whence: number): bigint {
    throw new FsError("SPIPE");
  }
  filestat(): FilestatFields {
    return { dev: 0n, ino: 0n, filetype: this.filetype, nlink: 1n, size: 0n, atim: 0n, mtim: 0n, ctim: 0n };
  }
  setSize(_size: number): void {
    throw new FsError("BADF");
  }
  allocate(_offset: number, _len: number): void {
    throw new FsError("BADF");
  }
  setTimes(_atim: bigint | null, _mtim: bigint | null): void {
    throw new FsError("BADF");
  }
  sync(): void {}
  /** Bytes a read would return now, for poll_oneoff's fd_read events. */
  readable(): bigint {
    return 0n;
  }
  close(): void {}
}

/** stdin: a byte array or a synchronous reader. */
/**
 * stdio is a pipe (filetype UNKNOWN) unless the host says it is a terminal: then a character
 * device without seek rights, which is what wasi-libc's isatty() looks for (stdout becomes line
 * buffered, so a program's output reaches the terminal as it prints).
 */
function stdioType(tty: boolean): number {
  return tty ? Filetype.CHARACTER_DEVICE : Filetype.UNKNOWN;
}

export class StdinDescriptor extends Descriptor {
  readonly filetype: number;
  private pos = 0;
  constructor(
    private readonly source: Uint8Array | ((buf: Uint8Array) => number) | undefined,
    tty = false,
  ) {
    super(R.FD_READ | R.FD_FDSTAT_SET_FLAGS | R.FD_FILESTAT_GET | R.POLL_FD_READWRITE, 0n);
    this.filetype = stdioType(tty);
  }
  override read(bufs: Uint8Array[]): number {
    const src = this.source;
    if (src === undefined) return 0;
    if (typeof src === "function") {
      // One reader call per syscall: a blocking read returns what is available, like a pipe.
      const first = bufs.find((b) => b.length > 0);
      return first ? src(first) : 0;
    }
    let total = 0;
    for (const b of bufs) {
      const n = Math.min(b.length, src.length - this.pos);
      b.set(src.subarray(this.pos, this.pos + n));
      this.pos += n;
      total += n;
      if (n < b.length) break;
    }
    return total;
  }
  override readable(): bigint {
    const src = this.source;
    if (src instanceof Uint8Array) return BigInt(src.length - this.pos);
    return 1n;
  }
}

/** stdout / stderr: chunks go to a sink synchronously. */
export class OutputDescriptor extends Descriptor {
  readonly filetype: number;
  constructor(
    private readonly sink: (chunk: Uint8Array) => void,
    tty = false,
  ) {
    super(R.FD_WRITE | R.FD_FDSTAT_SET_FLAGS | R.FD_FILESTAT_GET | R.POLL_FD_READWRITE, 0n);
    this.filetype = stdioType(tty);
  }
  override write(bufs: Uint8Array[]): number {
    let total = 0;
    for (const b of bufs) {
      if (b.length === 0) continue;
      this.sink(b);
      total += b.length;
    }
    return total;
  }
}

/** Device number per file system object, so (dev, ino) identifies a file across mounts. */
const devices = new WeakMap<FileSystem, bigint>();
let nextDev = 1n;
export function deviceOf(fs: FileSystem): bigint {
  let d = devices.get(fs);
  if (d === undefined) devices.set(fs, (d = nextDev++));
  return d;
}

export function filestatOf(fs: FileSystem, st: Stat): FilestatFields {
  return {
    dev: deviceOf(fs),
    ino: st.ino,
    filetype: st.kind === "file" ? Filetype.REGULAR_FILE : st.kind === "dir" ? Filetype.DIRECTORY : Filetype.SYMBOLIC_LINK,
    nlink: BigInt(st.nlink),
    size: BigInt(st.size),
    atim: st.atimeNs,
    mtim: st.mtimeNs,
    ctim: st.ctimeNs,
  };
}

export class FileDescriptor extends Descriptor {
  readonly filetype = Filetype.REGULAR_FILE;
  private _pos = 0;
  /** After an append the offset is the end of the file, looked up only when someone asks. */
  private posAtEnd = false;
  private get pos(): number {
    if (this.posAtEnd) {
      this._pos = this.handle.size();
      this.posAtEnd = false;
    }
    return this._pos;
  }
  private set pos(v: number) {
    this._pos = v;
    this.posAtEnd = false;
  }
  constructor(
    readonly fs: FileSystem,
    readonly path: string,
    readonly handle: FileHandle,
    rightsBase: bigint,
    rightsInheriting: bigint,
    fdflags: number,
  ) {
    super(rightsBase, rightsInheriting);
    this.fdflags = fdflags;
  }
  override read(bufs: Uint8Array[]): number {
    const n = this.pread(bufs, this.pos);
    this.pos += n;
    return n;
  }
  override pread(bufs: Uint8Array[], pos: number): number {
    let total = 0;
    for (const b of bufs) {
      if (b.length === 0) continue;
      const n = this.handle.read(b, pos + total);
      total += n;
      if (n < b.length) break;
    }
    return total;
  }
  override write(bufs: Uint8Array[]): number {
    if (this.fdflags & FdFlags.APPEND) {
      const h = this.handle;
      if (h.append) {
        let total = 0;
        for (const b of bufs) if (b.length) total += h.append(b);
        this.posAtEnd = true;
        return total;
      }
      this.pos = h.size();
    }
    const n = this.pwrite(bufs, this.pos);
    this.pos += n;
    return n;
  }
  override pwrite(bufs: Uint8Array[], pos: number): number {
    let total = 0;
    for (const b of bufs) {
      if (b.length === 0) continue;
      total += this.handle.write(b, pos + total);
    }
    return total;
  }
  override seek(offset: bigint, whence: number): bigint {
    const base = whence === Whence.SET ? 0n : whence === Whence.CUR ? BigInt(this.pos) : whence === Whence.END ? BigInt(this.handle.size()) : -1n;
    if (base < 0n) throw new FsError("INVAL", "bad whence");
    const next = base + offset;
    if (next < 0n) throw new FsError("INVAL", "seek before the start of the file");
    if (next > BigInt(Number.MAX_SAFE_INTEGER)) throw new FsError("OVERFLOW");
    this.pos = Number(next);
    return next;
  }
  override filestat(): FilestatFields {
    return filestatOf(this.fs, this.handle.stat());
  }
  override setSize(size: number): void {
    this.handle.truncate(size);
  }
  override allocate(offset: number, len: number): void {
    if (offset + len > this.handle.size()) this.handle.truncate(offset + len);
  }
  override setTimes(atim: bigint | null, mtim: bigint | null): void {
    this.handle.setTimes(atim, mtim);
  }
  override sync(): void {
    this.handle.sync();
  }
  override readable(): bigint {
    return BigInt(Math.max(0, this.handle.size() - this.pos));
  }
  override close(): void {
    this.handle.close();
  }
}

export class DirDescriptor extends Descriptor {
  readonly filetype = Filetype.DIRECTORY;
  /** fd_readdir's listing, taken at cookie 0 so later cookies resume in the same list. */
  listing: { name: string; type: number; ino: bigint }[] | undefined;
  constructor(
    readonly fs: FileSystem,
    readonly path: string,
    rightsBase: bigint,
    rightsInheriting: bigint,
    /** The guest name when this is a preopen. */
    readonly preopenName?: string,
  ) {
    super(rightsBase, rightsInheriting);
  }
  override read(): number {
    throw new FsError("ISDIR");
  }
  override write(): number {
    throw new FsError("ISDIR");
  }
  override pread(): number {
    throw new FsError("ISDIR");
  }
  override pwrite(): number {
    throw new FsError("ISDIR");
  }
  override seek(): bigint {
    throw new FsError("ISDIR");
  }
  override filestat(): FilestatFields {
    return filestatOf(this.fs, this.fs.stat(this.path));
  }
  override setTimes(atim: bigint | null, mtim: bigint | null): void {
    this.fs.setTimes(this.path, atim, mtim);
  }
}
