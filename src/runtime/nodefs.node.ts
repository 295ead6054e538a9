/**
 * Node-only: a file system on a real host directory, with synchronous node:fs calls. It never
 * follows symlinks itself (lstat, O_NOFOLLOW): the WASI host resolves them, confined, before
 * calling in, so a symlink on disk cannot lead a guest out of `hostDir`.
 */
import * as nfs from "node:fs";
import { join } from "node:path";
import type { ErrnoName } from "./abi.ts";
import { Errno } from "./abi.ts";
import { type DirEntry, type FileHandle, type FileSystem, FsError, type OpenOptions, type Stat } from "./fs.ts";

export interface NodeDirFSOptions {
  /** Refuse every mutation with ROFS. */
  readonly?: boolean;
}

export class NodeDirFS implements FileSystem {
  readonly readonly: boolean;
  constructor(
    readonly hostDir: string,
    opts: NodeDirFSOptions = {},
  ) {
    this.readonly = opts.readonly === true;
    let st: nfs.Stats;
    try {
      st = nfs.statSync(hostDir);
    } catch {
      throw new FsError("NOENT", `host directory '${hostDir}' does not exist`);
    }
    if (!st.isDirectory()) throw new FsError("NOTDIR", `'${hostDir}' is not a directory`);
  }

  private host(path: string): string {
    return path === "" ? this.hostDir : join(this.hostDir, path);
  }

  private guard(path: string): void {
    if (this.readonly) throw new FsError("ROFS", `'${path}' is on a read-only file system`);
  }

  stat(path: string): Stat {
    return call(path, () => statOf(nfs.lstatSync(this.host(path), { bigint: true })));
  }

  readdir(path: string): DirEntry[] {
    // readdir(3) would follow a final symlink; the interface never follows one.
    if (this.stat(path).kind !== "dir") throw new FsError("NOTDIR", `'${path}' is not a directory`);
    return call(path, () =>
      nfs.readdirSync(this.host(path), { withFileTypes: true }).map((d) => {
        let ino = 0n;
        try {
          ino = nfs.lstatSync(join(this.host(path), d.name), { bigint: true }).ino;
        } catch {
          // removed meanwhile; the entry is still listed as it was seen
        }
        return { name: d.name, kind: d.isDirectory() ? "dir" : d.isSymbolicLink() ? "symlink" : "file", ino };
      }),
    );
  }

  open(path: string, opts: OpenOptions = {}): FileHandle {
    if (opts.write || opts.create || opts.truncate) this.guard(path);
    const C = nfs.constants;
    let flags = (opts.write ? C.O_RDWR : C.O_RDONLY) | (C.O_NOFOLLOW ?? 0);
    if (opts.create) flags |= C.O_CREAT;
    if (opts.create && opts.exclusive) flags |= C.O_EXCL;
    if (opts.truncate) flags |= C.O_TRUNC;
    const host = this.host(path);
    const fd = call(path, () => nfs.openSync(host, flags, 0o666));
    return new NodeFileHandle(fd, path, host, opts.write === true);
  }

  mkdir(path: string): void {
    this.guard(path);
    call(path, () => nfs.mkdirSync(this.host(path)));
  }
  rmdir(path: string): void {
    this.guard(path);
    call(path, () => nfs.rmdirSync(this.host(path)));
  }
  unlink(path: string): void {
    this.guard(path);
    call(path, () => nfs.unlinkSync(this.host(path)));
  }
  rename(from: string, to: string): void {
    this.guard(from);
    this.guard(to);
    call(from, () => nfs.renameSync(this.host(from), this.host(to)));
  }
  symlink(target: string, path: string): void {
    this.guard(path);
    call(path, () => nfs.symlinkSync(target, this.host(path)));
  }
  readlink(path: string): string {
    return call(path, () => nfs.readlinkSync(this.host(path), "utf8"));
  }
  link(existing: string, path: string): void {
    this.guard(path);
    call(path, () => nfs.linkSync(this.host(existing), this.host(path)));
  }
  setTimes(path: string, atimeNs: bigint | null, mtimeNs: bigint | null): void {
    this.guard(path);
    call(path, () => {
      const st = nfs.lstatSync(this.host(path), { bigint: true });
      nfs.lutimesSync(this.host(path), nsToSec(atimeNs ?? st.atimeNs), nsToSec(mtimeNs ?? st.mtimeNs));
    });
  }
  setExecutable(path: string, executable: boolean): void {
    this.guard(path);
    call(path, () => {
      const st = nfs.lstatSync(this.host(path));
      if (st.isSymbolicLink()) return;
      const mode = st.mode;
      nfs.chmodSync(this.host(path), executable ? mode | 0o111 : mode & ~0o111);
    });
  }
}

class NodeFileHandle implements FileHandle {
  /** A second descriptor opened O_APPEND on first append, so the kernel finds the end. */
  private appendFd: number | undefined;
  constructor(
    private readonly fd: number,
    private readonly path: string,
    private readonly host: string,
    private readonly writable: boolean,
  ) {}
  append(buf: Uint8Array): number {
    if (!this.writable) throw new FsError("BADF", "file is not open for writing");
    return call(this.path, () => {
      this.appendFd ??= nfs.openSync(this.host, nfs.constants.O_WRONLY | nfs.constants.O_APPEND | (nfs.constants.O_NOFOLLOW ?? 0));
      let done = 0;
      while (done < buf.length) done += nfs.writeSync(this.appendFd, buf, done, buf.length - done, null);
      return done;
    });
  }
  read(buf: Uint8Array, pos: number): number {
    return call(this.path, () => nfs.readSync(this.fd, buf, 0, buf.length, pos));
  }
  write(buf: Uint8Array, pos: number): number {
    return call(this.path, () => {
      let done = 0;
      while (done < buf.length) done += nfs.writeSync(this.fd, buf, done, buf.length - done, pos + done);
      return done;
    });
  }
  size(): number {
    return call(this.path, () => nfs.fstatSync(this.fd).size);
  }
  truncate(size: number): void {
    call(this.path, () => nfs.ftruncateSync(this.fd, size));
  }
  stat(): Stat {
    return call(this.path, () => statOf(nfs.fstatSync(this.fd, { bigint: true })));
  }
  setTimes(atimeNs: bigint | null, mtimeNs: bigint | null): void {
    call(this.path, () => {
      const st = nfs.fstatSync(this.fd, { bigint: true });
      nfs.futimesSync(this.fd, nsToSec(atimeNs ?? st.atimeNs), nsToSec(mtimeNs ?? st.mtimeNs));
    });
  }
  sync(): void {
    call(this.path, () => nfs.fsyncSync(this.fd));
  }
  close(): void {
    call(this.path, () => {
      if (this.appendFd !== undefined) nfs.closeSync(this.appendFd);
      nfs.closeSync(this.fd);
    });
  }
}

function statOf(s: nfs.BigIntStats): Stat {
  return {
    kind: s.isDirectory() ? "dir" : s.isSymbolicLink() ? "symlink" : "file",
    size: Number(s.size),
    ino: s.ino,
    nlink: Number(s.nlink),
    atimeNs: s.atimeNs,
    mtimeNs: s.mtimeNs,
    ctimeNs: s.ctimeNs,
    executable: (s.mode & 0o100n) !== 0n,
  };
}

function nsToSec(ns: bigint): number {
  return Number(ns) / 1e9;
}

/** Runs a node:fs call, turning its error into an FsError with the same errno. */
function call<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string" && code.startsWith("E")) {
      let name = code.slice(1) as ErrnoName;
      // O_NOFOLLOW on a symlink: Linux says ELOOP, the BSDs EMLINK.
      if (name === "MLINK") name = "LOOP";
      if (name in Errno) throw new FsError(name, `'${path}': ${(e as Error).message}`);
    }
    throw new FsError("IO", `'${path}': ${(e as Error).message}`);
  }
}
