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
    const host = this.host(path);
    call(path, () => setExactTimes(() => nfs.lstatSync(host, { bigint: true }), (a, m) => nfs.lutimesSync(host, a, m), atimeNs, mtimeNs));
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
    call(this.path, () => setExactTimes(() => nfs.fstatSync(this.fd, { bigint: true }), (a, m) => nfs.futimesSync(this.fd, a, m), atimeNs, mtimeNs));
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
  const exact = exactTimes.get(timesKey(s));
  return {
    kind: s.isDirectory() ? "dir" : s.isSymbolicLink() ? "symlink" : "file",
    size: Number(s.size),
    ino: s.ino,
    nlink: Number(s.nlink),
    atimeNs: exact?.atime?.disk === s.atimeNs ? exact.atime.exact : s.atimeNs,
    mtimeNs: exact?.mtime?.disk === s.mtimeNs ? exact.mtime.exact : s.mtimeNs,
    ctimeNs: s.ctimeNs,
    executable: (s.mode & 0o100n) !== 0n,
  };
}

/**
 * Exact times on a host directory. WASI reads back the nanoseconds a guest set, and ext4, XFS,
 * btrfs and APFS store them, but node:fs sets times through libuv, which takes a double of
 * seconds and keeps whole microseconds (uv__fs_to_timespec drops the rest). So the disk gets the
 * time floored to the microsecond, and this table, keyed by device and inode, keeps the exact
 * time next to the value read back from disk after setting it: a stat that still finds that value
 * on disk reports the exact one; any later change (a write, another program's touch, atime
 * updated by a read) no longer matches and the disk's value shows again. The table lives as long
 * as the process or worker thread (every NodeDirFS in it shares it); other processes see the
 * microsecond value. An entry is kept only for a time that differs from what the disk holds.
 */
interface Pinned {
  disk: bigint;
  exact: bigint;
}
const exactTimes = new Map<string, { atime?: Pinned | undefined; mtime?: Pinned | undefined }>();

function timesKey(s: nfs.BigIntStats): string {
  return `${s.dev}:${s.ino}`;
}

/** Sets times through `write` (utimes-like, seconds as doubles); `null` keeps a time as it reads now, exactly. */
function setExactTimes(read: () => nfs.BigIntStats, write: (atimeSec: number, mtimeSec: number) => void, atimeNs: bigint | null, mtimeNs: bigint | null): void {
  const now = statOf(read());
  const a = atimeNs ?? now.atimeNs;
  const m = mtimeNs ?? now.mtimeNs;
  write(utimesSeconds(a), utimesSeconds(m));
  const after = read();
  const pin = (disk: bigint, exact: bigint): Pinned | undefined => (disk === exact ? undefined : { disk, exact });
  const atime = pin(after.atimeNs, a);
  const mtime = pin(after.mtimeNs, m);
  if (atime || mtime) exactTimes.set(timesKey(after), { atime, mtime });
  else exactTimes.delete(timesKey(after));
}

/**
 * The microsecond at or below `ns` as libuv's double of seconds, plus half a microsecond: libuv
 * truncates, and a double near 1.7e9 s is only good to ~0.24 µs, so without the half a time such
 * as 1000.000007 s would land on 1000.000006 s.
 */
function utimesSeconds(ns: bigint): number {
  const us = ns / 1000n;
  return Number(us / 1_000_000n) + (Number(us % 1_000_000n) + 0.5) / 1e6;
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
