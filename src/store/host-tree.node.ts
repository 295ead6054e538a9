/**
 * Host directories as trees: the one synchronous reader of a host directory (lstat semantics:
 * symlinks are not followed) and the one writer of a tree into one. Path sources are read through
 * sourceTree/hostPath/hostContentHash, which apply the host's path rules and git's line endings.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { EkaError } from "../errors.ts";
import { isNotFound } from "../util/host.node.ts";
import { hostIoError, withHostIo } from "../util/io-errors.ts";
import { chunksHash, type HashAlgo, narHash } from "./hash.ts";
import { lfPlanOfFile, lfPlanOfTree, toLf, toLfBytes, type LfPlan } from "./git-eol.node.ts";
import { checkSymlink, hostJoin, hostRules, treeNames, type HostRules } from "./host-rules.node.ts";
import type { TreeReader, TreeStat } from "./types.ts";

/**
 * The largest file read whole (readFile): a blob is one byte array, hashed and stored whole, so a
 * file costs its size in memory (more while it is copied). Above this it is E_FILE_TOO_LARGE rather
 * than a crash (Node cannot read 2 GiB at once) or a machine out of memory. docs/errors.md names it.
 * Hashing and copying a host tree read in chunks (readChunks) instead, with no limit.
 */
export const MAX_FILE_BYTES = 1 << 30;

/** The size of one chunk of readChunks: large enough that the per-call cost of a hash is noise. */
const CHUNK_BYTES = 4 << 20;

/** How a host directory is read; the default reads it as it is, which the store's own trees want. */
export interface HostTreeOptions {
  /** Another system's path rules (host-rules.node.ts): names normalised and checked, symlinks refused. */
  rules?: HostRules;
  /** Read the text files of a git work tree as git stores them (git-eol.node.ts: CRLF → LF). */
  gitEol?: boolean;
}

/**
 * A TreeReader over `dir`. A file that is neither a regular file, a directory nor a symlink
 * (a socket, a fifo) is E_UNSUPPORTED_FILE when reached, as Nix refuses it too. What the host
 * refuses (EACCES, ENAMETOOLONG, …) is the coded error of util/io-errors.ts; a name that is not
 * valid UTF-8 is E_BAD_FILE_NAME, since directories hold UTF-8 names and Node would mangle it.
 * With `opts`, the names a tree shows may differ from those on disk (NFC under darwin rules), and
 * a file's size and bytes from the disk's (a CRLF file git stores with LF).
 */
export function hostTree(dir: string, opts: HostTreeOptions = {}): TreeReader {
  const rules = opts.rules ?? "posix";
  // Tree path → path on disk, for the entries whose names the rules changed (and those below them).
  const onDisk = new Map<string, string>();
  const diskPath = (p: string): string => {
    const known = onDisk.get(p);
    if (known !== undefined || rules !== "darwin" || !/[^\x00-\x7f]/.test(p)) return known ?? p;
    // A path asked for before its directory was listed: listing it maps its names.
    try {
      tree.readdir(p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : "");
    } catch {
      return p;
    }
    return onDisk.get(p) ?? p;
  };
  const abs = (p: string) => hostJoin(dir, diskPath(p));
  let plan: LfPlan | undefined;
  const lfSize = (p: string) => {
    if (!opts.gitEol) return undefined;
    plan ??= withHostIo({}, () => lfPlanOfTree(dir));
    return plan.get(diskPath(p));
  };
  const tree: TreeReader = {
    stat(p): TreeStat | null {
      let st: fs.Stats;
      try {
        st = fs.lstatSync(abs(p));
      } catch (e) {
        if (isNotFound(e)) return null;
        throw hostIoError(e) ?? e;
      }
      if (st.isDirectory()) return { kind: "directory", size: 0, executable: false };
      if (st.isSymbolicLink()) {
        if (rules !== "posix") checkSymlink(abs(p), withHostIo({}, () => fs.readlinkSync(abs(p))), rules);
        return { kind: "symlink", size: st.size, executable: false };
      }
      if (st.isFile()) return { kind: "file", size: lfSize(p) ?? st.size, executable: (st.mode & 0o100) !== 0 };
      throw new EkaError("E_UNSUPPORTED_FILE", `${abs(p)} is neither a file, a directory nor a symlink; the store can't hold it`);
    },
    readdir(p) {
      const names = withHostIo({}, () => checkedNames(abs(p)));
      if (rules === "posix") return names;
      const shown = treeNames(abs(p), names, rules);
      const dp = diskPath(p);
      shown.forEach((name, i) => {
        const shownPath = p === "" ? name : `${p}/${name}`;
        const disk = dp === "" ? (names[i] as string) : `${dp}/${names[i] as string}`;
        if (shownPath !== disk) onDisk.set(shownPath, disk);
      });
      return shown;
    },
    readFile(p) {
      const data = withHostIo({}, () => readWhole(abs(p)));
      return lfSize(p) === undefined ? data : toLfBytes(data);
    },
    readChunks: (p) => (lfSize(p) === undefined ? fileChunks(abs(p)) : toLf(fileChunks(abs(p)))),
    readlink: (p) => withHostIo({}, () => fs.readlinkSync(abs(p))),
  };
  return tree;
}

/**
 * A path source's directory as every build reads it: this system's path rules (or EKA_HOST_RULES's),
 * and text files of a git work tree as git stores them, so the tree is the same on every system.
 */
export function sourceTree(dir: string): TreeReader {
  return hostTree(dir, { rules: hostRules(), gitEol: true });
}

/**
 * What a host path holds, read as a source is (sourceTree): a file's bytes, or a directory's tree.
 * The path itself may be a symlink (it is followed); nothing below it is. Null if it does not exist.
 */
export function hostPath(abs: string): Uint8Array | TreeReader | null {
  const real = hostRealPath(abs);
  if (real === null) return null;
  if (!withHostIo({}, () => fs.statSync(real).isFile())) return sourceTree(real);
  const data = withHostIo({}, () => readWhole(real));
  return withHostIo({}, () => lfPlanOfFile(real)).has("") ? toLfBytes(data) : data;
}

/**
 * contentHash of what `abs` holds (as hostPath reads it), reading files in chunks, so memory stays
 * bounded whatever their size. Null if it does not exist.
 */
export function hostContentHash(abs: string, algo: HashAlgo): string | null {
  const real = hostRealPath(abs);
  if (real === null) return null;
  if (!withHostIo({}, () => fs.statSync(real).isFile())) return `${algo}:${narHash(sourceTree(real), algo)}`;
  const lf = withHostIo({}, () => lfPlanOfFile(real)).has("");
  return `${algo}:${chunksHash(lf ? toLf(fileChunks(real)) : fileChunks(real), algo)}`;
}

/** `abs` with symlinks resolved (realpath), or null if it does not exist. */
export function hostRealPath(abs: string): string | null {
  try {
    return fs.realpathSync(abs);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw hostIoError(e) ?? e;
  }
}

/** A file's bytes, CHUNK_BYTES at a time, each chunk a fresh array; as long as fstat says. */
function* fileChunks(file: string): Generator<Uint8Array> {
  const fd = withHostIo({}, () => fs.openSync(file, "r"));
  try {
    let left = withHostIo({}, () => fs.fstatSync(fd).size);
    while (left > 0) {
      const buf = new Uint8Array(Math.min(CHUNK_BYTES, left));
      const n = withHostIo({}, () => fs.readSync(fd, buf, 0, buf.length, null));
      if (n === 0) return;
      left -= n;
      yield n === buf.length ? buf : buf.subarray(0, n);
    }
  } finally {
    fs.closeSync(fd);
  }
}

function readWhole(file: string): Uint8Array {
  const fd = fs.openSync(file, "r");
  try {
    const size = fs.fstatSync(fd).size;
    if (size > MAX_FILE_BYTES) {
      throw new EkaError("E_FILE_TOO_LARGE", `${file} is ${(size / 2 ** 30).toFixed(1)} GiB, more than the ${MAX_FILE_BYTES / 2 ** 30} GiB eka reads into memory at once; name the directory holding it as the source (a directory is copied and hashed in chunks), or leave it out of what is stored`);
    }
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function checkedNames(dir: string): string[] {
  const names = fs.readdirSync(dir);
  checkUtf8Names(dir, names);
  return names;
}

/**
 * Throws E_BAD_FILE_NAME if a name `readdir(dir)` gave is a mangled one: Node decodes a name that
 * is not valid UTF-8 to U+FFFD, which names another file (or none).
 */
export function checkUtf8Names(dir: string, names: readonly string[]): void {
  // Only a name holding U+FFFD can be a mangled one, so the common case costs no second read.
  if (!names.some((n) => n.includes("\uFFFD"))) return;
  for (const raw of fs.readdirSync(dir, { encoding: "buffer" })) {
    try {
      strictUtf8.decode(raw);
    } catch {
      const shown = [...raw].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`)).join("");
      throw new EkaError("E_BAD_FILE_NAME", `${path.join(dir, shown)}: the name is not valid UTF-8, which eka's store cannot hold byte for byte; rename it (convmv converts Latin-1 names) or remove it from the tree`);
    }
  }
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Writes `root` of `tree` to `dest`, which must not exist yet. `readOnly` makes files 0444 (0555
 * if executable) and directories 0555, as checkouts of store paths are; else 0644/0755.
 */
export function writeHostTree(tree: TreeReader, root: string, dest: string, opts: { readOnly?: boolean } = {}): void {
  const dirs: string[] = [];
  const write = (rel: string, host: string) => {
    const st = tree.stat(rel);
    if (!st) throw new EkaError("E_NOT_FOUND", `'${rel}' vanished while it was being written to ${dest}`);
    if (st.kind === "directory") {
      fs.mkdirSync(host);
      for (const name of tree.readdir(rel)) write(rel === "" ? name : `${rel}/${name}`, path.join(host, name));
      dirs.push(host);
    } else if (st.kind === "symlink") {
      fs.symlinkSync(tree.readlink(rel), host);
    } else {
      const mode = (st.executable ? 0o111 : 0) | (opts.readOnly ? 0o444 : 0o644);
      if (tree.readChunks) writeChunks(host, tree.readChunks(rel), mode);
      else fs.writeFileSync(host, tree.readFile(rel), { mode });
    }
  };
  write(root, dest);
  if (opts.readOnly) for (const d of dirs) fs.chmodSync(d, 0o555);
}

/**
 * Writes `chunks` to a new `file`, leaving a chunk of zeros as a hole (as `cp --sparse=auto` does):
 * it reads back the same, and a sparse file of gigabytes copies without filling the disk.
 */
function writeChunks(file: string, chunks: Iterable<Uint8Array>, mode: number): void {
  const fd = fs.openSync(file, "wx", mode);
  try {
    let pos = 0;
    for (const c of chunks) {
      if (!isZero(c)) for (let off = 0; off < c.length; ) off += fs.writeSync(fd, c, off, c.length - off, pos + off);
      pos += c.length;
    }
    fs.ftruncateSync(fd, pos);
  } finally {
    fs.closeSync(fd);
  }
}

let zeros: Buffer | undefined;

function isZero(c: Uint8Array): boolean {
  if (c.length > CHUNK_BYTES) return false;
  zeros ??= Buffer.alloc(CHUNK_BYTES);
  return Buffer.from(c.buffer, c.byteOffset, c.length).equals(zeros.subarray(0, c.length));
}
