/**
 * The canonical encoding of a directory object; its BLAKE3 is the directory's digest.
 *
 *   "eka-dir-1\n"
 *   per entry, sorted by the UTF-8 bytes of the name (no duplicates):
 *     kind: 1 byte — 'f' file, 'x' executable file, 'd' directory, 'l' symlink
 *     name: u32 little-endian byte length, UTF-8 bytes
 *     'f'/'x': u64 little-endian size, 32-byte BLAKE3 of the contents
 *     'd':     32-byte digest of the subdirectory's encoding
 *     'l':     u32 little-endian byte length, UTF-8 target
 *
 * A tree whose root is a file or symlink is stored as a directory with one entry named "" (a
 * name no real entry can have), so a cid is always a directory digest.
 */
import { EkaError } from "../errors.ts";
import { digestFromBytes, digestToBytes } from "./digest.ts";
import type { DirEntry, Directory } from "./types.ts";
import { concatBytes } from "../util/bytes.ts";

const MAGIC = new TextEncoder().encode("eka-dir-1\n");
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

export function compareNames(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return x.length - y.length;
}

/** Sorts entries in canonical order and rejects duplicates and bad names. */
export function makeDirectory(entries: DirEntry[]): Directory {
  const sorted = [...entries].sort((a, b) => compareNames(a.name, b.name));
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i] as DirEntry;
    if (i > 0 && (sorted[i - 1] as DirEntry).name === e.name) {
      throw new EkaError("E_BAD_DIRECTORY", `directory has two entries named '${e.name}'`);
    }
    if (e.name === "." || e.name === ".." || e.name.includes("/") || e.name.includes("\0")) {
      throw new EkaError("E_BAD_DIRECTORY", `'${e.name}' is not a valid entry name`);
    }
    if (e.name === "" && sorted.length !== 1) throw new EkaError("E_BAD_DIRECTORY", "an empty entry name is only allowed alone (a single-file root)");
    if (e.name === "" && e.kind === "directory") throw new EkaError("E_BAD_DIRECTORY", "a root wrapper entry must be a file or symlink");
  }
  return { entries: sorted };
}

export function encodeDirectory(dir: Directory): Uint8Array {
  const parts: Uint8Array[] = [MAGIC];
  let prev: string | undefined;
  for (const e of dir.entries) {
    if (prev !== undefined && compareNames(prev, e.name) >= 0) {
      throw new EkaError("E_BAD_DIRECTORY", `directory entries are not sorted/unique at '${e.name}'`);
    }
    prev = e.name;
    const name = utf8.encode(e.name);
    if (e.kind === "file") {
      const b = new Uint8Array(1 + 4 + name.length + 8 + 32);
      const v = new DataView(b.buffer);
      b[0] = e.executable ? 0x78 : 0x66;
      v.setUint32(1, name.length, true);
      b.set(name, 5);
      v.setBigUint64(5 + name.length, BigInt(e.size), true);
      b.set(digestToBytes(e.digest), 13 + name.length);
      parts.push(b);
    } else if (e.kind === "directory") {
      const b = new Uint8Array(1 + 4 + name.length + 32);
      b[0] = 0x64;
      new DataView(b.buffer).setUint32(1, name.length, true);
      b.set(name, 5);
      b.set(digestToBytes(e.digest), 5 + name.length);
      parts.push(b);
    } else {
      const target = utf8.encode(e.target);
      const b = new Uint8Array(1 + 4 + name.length + 4 + target.length);
      const v = new DataView(b.buffer);
      b[0] = 0x6c;
      v.setUint32(1, name.length, true);
      b.set(name, 5);
      v.setUint32(5 + name.length, target.length, true);
      b.set(target, 9 + name.length);
      parts.push(b);
    }
  }
  return concatBytes(parts);
}

/** Decodes and re-checks canonical form; `where` names the object for errors. */
export function decodeDirectory(bytes: Uint8Array, where: string): Directory {
  const bad = (why: string): never => {
    throw new EkaError("E_CORRUPT_OBJECT", `directory object ${where} is corrupt: ${why}; 'eka store verify' names the paths that use it and 'eka store repair' mends them`);
  };
  if (bytes.length < MAGIC.length || MAGIC.some((c, i) => bytes[i] !== c)) bad("bad header");
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = MAGIC.length;
  const need = (n: number) => {
    if (p + n > bytes.length) bad("truncated");
  };
  /** A u32le-length-prefixed UTF-8 string at p. */
  const text = (what: string): string => {
    need(4);
    const len = v.getUint32(p, true);
    p += 4;
    need(len);
    let s = "";
    try {
      s = fromUtf8.decode(bytes.subarray(p, p + len));
    } catch {
      bad(`${what} is not UTF-8`);
    }
    p += len;
    return s;
  };
  const entries: DirEntry[] = [];
  while (p < bytes.length) {
    need(1);
    const kind = bytes[p++] as number;
    const name = text("entry name");
    if (kind === 0x66 || kind === 0x78) {
      need(40);
      const size = Number(v.getBigUint64(p, true));
      const digest = digestFromBytes(bytes.subarray(p + 8, p + 40));
      p += 40;
      entries.push({ kind: "file", name, size, executable: kind === 0x78, digest });
    } else if (kind === 0x64) {
      need(32);
      entries.push({ kind: "directory", name, digest: digestFromBytes(bytes.subarray(p, p + 32)) });
      p += 32;
    } else if (kind === 0x6c) {
      entries.push({ kind: "symlink", name, target: text("symlink target") });
    } else {
      bad(`unknown entry kind ${kind}`);
    }
  }
  try {
    return makeDirectory(entries);
  } catch (e) {
    return bad(e instanceof Error ? e.message : String(e));
  }
}

