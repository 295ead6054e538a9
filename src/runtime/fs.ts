/**
 * The virtual file system interface every file system implements (memory, host directory,
 * read-only view, overlay). It is deliberately narrow and synchronous: a WASI guest runs
 * synchronously, so every call must complete before the syscall returns.
 *
 * Contract:
 * - Paths are relative to the file system's root, '/'-separated and already normalised: no
 *   leading or trailing '/', no '.', '..' or empty components. The root itself is "".
 * - A file system never follows symlinks (lstat semantics everywhere, including in the middle of a
 *   path: callers hand it paths whose components they have already resolved). Symlink resolution
 *   and confinement live in one function of the WASI host (`resolvePath` in wasi.ts).
 * - Errors are thrown as `FsError` carrying a WASI errno name ("NOENT", "NOTDIR", …).
 */
import type { ErrnoName } from "./abi.ts";

export type FileKind = "file" | "dir" | "symlink";

export interface Stat {
  kind: FileKind;
  /** Bytes for files, target length for symlinks, 0 for directories. */
  size: number;
  ino: bigint;
  nlink: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** The owner-executable bit (the only permission bit eka keeps). */
  executable: boolean;
}

export interface DirEntry {
  name: string;
  kind: FileKind;
  ino: bigint;
}

export interface OpenOptions {
  /** Open for writing (reading is always allowed). */
  write?: boolean;
  /** Create the file if it does not exist (the parent must exist). */
  create?: boolean;
  /** With `create`: fail with EXIST if the path exists. */
  exclusive?: boolean;
  /** Truncate to zero length on open. */
  truncate?: boolean;
}

/** An open regular file. Positions are explicit: the caller (the WASI descriptor) keeps the offset. */
export interface FileHandle {
  /** Reads into `buf` from `pos`; returns bytes read (0 at or past the end). */
  read(buf: Uint8Array, pos: number): number;
  /** Writes `buf` at `pos`, growing the file (with zeros in any gap); returns bytes written. */
  write(buf: Uint8Array, pos: number): number;
  /**
   * Optional: writes `buf` at the current end of the file (O_APPEND), where the file system can do
   * that cheaper than size() + write(). Returns bytes written.
   */
  append?(buf: Uint8Array): number;
  size(): number;
  /** Sets the size, cutting or zero-extending. */
  truncate(size: number): void;
  stat(): Stat;
  /** `null` leaves a time unchanged. */
  setTimes(atimeNs: bigint | null, mtimeNs: bigint | null): void;
  sync(): void;
  close(): void;
}

export interface FileSystem {
  /** True when every mutation fails with ROFS. */
  readonly readonly: boolean;
  stat(path: string): Stat;
  /** Entries without "." and "..", in a stable order. */
  readdir(path: string): DirEntry[];
  open(path: string, opts?: OpenOptions): FileHandle;
  mkdir(path: string): void;
  rmdir(path: string): void;
  unlink(path: string): void;
  /** POSIX rename: replaces a file, or an empty directory with a directory. */
  rename(from: string, to: string): void;
  symlink(target: string, path: string): void;
  readlink(path: string): string;
  /** Hard link: `path` becomes another name for the file at `existing`. */
  link(existing: string, path: string): void;
  setTimes(path: string, atimeNs: bigint | null, mtimeNs: bigint | null): void;
  /** Sets or clears the executable bit; optional (host file systems without modes ignore it). */
  setExecutable?(path: string, executable: boolean): void;
}

/** A failed file system operation; `errno` is a WASI errno name such as "NOENT". */
export class FsError extends Error {
  override readonly name = "FsError";
  constructor(
    readonly errno: ErrnoName,
    message?: string,
  ) {
    super(message ?? `E${errno}`);
  }
}

export function joinPath(dir: string, name: string): string {
  return dir === "" ? name : `${dir}/${name}`;
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Normalises a user-supplied relative path ("a//b/./c/") to the interface form; rejects "..". */
export function normalizePath(path: string): string {
  const out: string[] = [];
  for (const c of path.split("/")) {
    if (c === "" || c === ".") continue;
    if (c === "..") throw new FsError("NOTCAPABLE", `'..' is not allowed in '${path}'`);
    out.push(c);
  }
  return out.join("/");
}

export type WalkEntry =
  | { path: string; kind: "file"; executable: boolean; data: Uint8Array }
  | { path: string; kind: "dir" }
  | { path: string; kind: "symlink"; target: string };

/**
 * Reads a whole tree back out, parents before children, names sorted (byte order of UTF-16 code
 * units, stable across file systems). `path` itself is included with path "" when it is a
 * directory. Used to ingest a build's `$out`.
 */
export function* walk(fs: FileSystem, path = ""): Generator<WalkEntry> {
  const st = fs.stat(path);
  yield* walkFrom(fs, path, "", st);
}

/** Reads a whole file. */
export function readFile(fs: FileSystem, path: string): Uint8Array {
  const h = fs.open(path);
  try {
    const out = new Uint8Array(h.size());
    let off = 0;
    while (off < out.length) {
      const n = h.read(out.subarray(off), off);
      if (n === 0) break;
      off += n;
    }
    return off === out.length ? out : out.subarray(0, off);
  } finally {
    h.close();
  }
}

/** Creates or replaces a file with `data`, creating missing parent directories. */
export function writeFile(fs: FileSystem, path: string, data: Uint8Array, opts?: { executable?: boolean }): void {
  mkdirp(fs, parentOf(path));
  const h = fs.open(path, { write: true, create: true, truncate: true });
  try {
    h.write(data, 0);
  } finally {
    h.close();
  }
  if (opts?.executable) fs.setExecutable?.(path, true);
}

/** Creates a directory and its missing parents; an existing directory is fine. */
export function mkdirp(fs: FileSystem, path: string): void {
  if (path === "") return;
  try {
    if (fs.stat(path).kind === "dir") return;
    throw new FsError("NOTDIR", `'${path}' exists and is not a directory`);
  } catch (e) {
    if (!(e instanceof FsError) || e.errno !== "NOENT") throw e;
  }
  mkdirp(fs, parentOf(path));
  fs.mkdir(path);
}

function* walkFrom(fs: FileSystem, path: string, rel: string, st: Stat): Generator<WalkEntry> {
  if (st.kind === "file") {
    yield { path: rel, kind: "file", executable: st.executable, data: readFile(fs, path) };
  } else if (st.kind === "symlink") {
    yield { path: rel, kind: "symlink", target: fs.readlink(path) };
  } else {
    yield { path: rel, kind: "dir" };
    const names = fs.readdir(path).map((e) => e.name).sort();
    for (const name of names) {
      const child = joinPath(path, name);
      yield* walkFrom(fs, child, joinPath(rel, name), fs.stat(child));
    }
  }
}
