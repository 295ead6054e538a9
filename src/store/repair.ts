/**
 * Damage to stored paths, found and mended. A path is damaged when an object its tree needs is
 * missing or does not hash to its digest. Mending takes bytes from any tree that claims to hold
 * the path's contents (a checkout, a substituted NAR, a rebuild) and writes only bytes that hash
 * to the digest the path records, so no source can make a path wrong, only right.
 */
import { EkaError } from "../errors.ts";
import type { ObjectKind } from "./backend.ts";
import { digestOf, type Digest } from "./digest.ts";
import { decodeDirectory, encodeDirectory, makeDirectory } from "./directory.ts";
import type { Store } from "./store.ts";
import type { DirEntry, Directory, TreeReader } from "./types.ts";

export interface Damage {
  code: "E_MISSING_OBJECT" | "E_CORRUPT_OBJECT";
  storePath: string;
  /** The file (or directory) inside the path; "" for the path itself. */
  file: string;
  kind: ObjectKind;
  digest: Digest;
  /** One line naming the path and the file: `/nix/store/…-x/bin/x.wasm: contents do not match …`. */
  message: string;
}

export interface DamageOptions {
  /** Re-hash every object (default). False: only that blobs exist with their recorded sizes, which a file store answers from stat. */
  contents?: boolean;
  /** Shared by the calls of one pass over many paths: `kind:digest` → what it hashed to, so a shared object is read once. */
  hashed?: Map<string, Digest | null>;
}

/** Joins a path inside a tree; "" is the root. */
function joinRel(a: string, b: string): string {
  return a === "" ? b : b === "" ? a : `${a}/${b}`;
}

/** Where a file of a store path is, for messages. */
export function placeOf(storePath: string, file: string): string {
  return file === "" ? storePath : `${storePath}/${file}`;
}

/** What the raw bytes under `d` hash to, or null if absent (memoised in `hashed`). */
export function hashOf(store: Store, kind: ObjectKind, d: Digest, hashed?: Map<string, Digest | null>): { actual: Digest | null; bytes?: Uint8Array } {
  const key = `${kind}:${d}`;
  const known = hashed?.get(key);
  if (known !== undefined && kind === "blob") return { actual: known };
  const bytes = store.backend.readObject(kind, d);
  const actual = bytes === null ? null : digestOf(bytes);
  hashed?.set(key, actual);
  return bytes === null ? { actual } : { actual, bytes };
}

/**
 * Every missing or corrupt object of the tree `cid` registered as `storePath`, by the file it
 * stands for. Below a missing or corrupt directory nothing can be seen, so its damage is one entry.
 */
export function findDamage(store: Store, storePath: string, cid: Digest, opts: DamageOptions = {}): Damage[] {
  const contents = opts.contents ?? true;
  const out: Damage[] = [];
  const damage = (code: Damage["code"], kind: ObjectKind, file: string, digest: Digest, what: string) =>
    out.push({ code, storePath, file, kind, digest, message: `${placeOf(storePath, file)}: ${what}` });
  const visit = (rel: string, d: Digest) => {
    const { actual, bytes } = hashOf(store, "directory", d, opts.hashed);
    if (!bytes) return void damage("E_MISSING_OBJECT", "directory", rel, d, `its directory listing is missing (directory ${d})`);
    if (actual !== d) return void damage("E_CORRUPT_OBJECT", "directory", rel, d, `its directory listing does not match (blake3 expected ${d}, got ${actual})`);
    let dir: Directory;
    try {
      dir = decodeDirectory(bytes, d);
    } catch (e) {
      return void damage("E_CORRUPT_OBJECT", "directory", rel, d, e instanceof Error ? e.message : String(e));
    }
    for (const e of dir.entries) {
      const sub = joinRel(rel, e.name);
      if (e.kind === "directory") visit(sub, e.digest);
      else if (e.kind === "file") checkBlob(sub, e);
    }
  };
  const checkBlob = (file: string, e: Extract<DirEntry, { kind: "file" }>) => {
    if (!contents) {
      const size = store.backend.objectSize("blob", e.digest);
      if (size === null) damage("E_MISSING_OBJECT", "blob", file, e.digest, `its contents are missing (blob ${e.digest})`);
      else if (size !== e.size) damage("E_CORRUPT_OBJECT", "blob", file, e.digest, `its contents are ${size} bytes, but ${e.size} are recorded (blob ${e.digest})`);
      return;
    }
    const { actual } = hashOf(store, "blob", e.digest, opts.hashed);
    if (actual === null) damage("E_MISSING_OBJECT", "blob", file, e.digest, `its contents are missing (blob ${e.digest})`);
    else if (actual !== e.digest) damage("E_CORRUPT_OBJECT", "blob", file, e.digest, `contents do not match (blake3 expected ${e.digest}, got ${actual})`);
  };
  visit("", cid);
  return out;
}

/**
 * Writes `bytes` as the object `d`, replacing a missing or corrupt copy, under the store's lock.
 * False (and nothing written) if the bytes do not hash to `d`. A file store replaces the object
 * by rename, so a reader sees the old object or the new one, never half of one.
 */
export function restoreObject(store: Store, kind: ObjectKind, d: Digest, bytes: Uint8Array): boolean {
  if (digestOf(bytes) !== d) return false;
  const b = store.backend;
  const intact = () => {
    const now = b.readObject(kind, d);
    return now !== null && digestOf(now) === d;
  };
  return b.withLock(() => {
    if (intact()) return true;
    b.writeObject(kind, d, bytes);
    if (intact()) return true;
    // Backends that keep the first write of a digest (memory, a layered near cache) need it gone first.
    b.deleteObject(kind, d);
    b.writeObject(kind, d, bytes);
    if (!intact()) throw new EkaError("E_CORRUPT_OBJECT", `${kind} ${d} in ${b.address} is still corrupt after it was rewritten; check the disk`);
    return true;
  });
}

/** A source that could not be read (a vanished checkout file, say): it mends nothing there. */
class Unreadable extends Error {}

function readSource<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    throw new Unreadable(e instanceof Error ? e.message : String(e));
  }
}

/**
 * Stores the subtree `root` of `source` object by object, replacing missing or corrupt copies, and
 * returns its digest as a directory entry names it (a file or symlink root is wrapped, as
 * Store.addTree wraps it; only a path's own root can be one).
 */
function restoreTree(store: Store, source: TreeReader, root: string): Digest {
  const put = (dir: Directory) => {
    const bytes = encodeDirectory(dir);
    const d = digestOf(bytes);
    restoreObject(store, "directory", d, bytes);
    return d;
  };
  const entry = (rel: string, name: string): DirEntry => {
    const st = readSource(() => source.stat(rel));
    if (!st) throw new Unreadable(`'${rel}' vanished while it was being read`);
    if (st.kind === "symlink") return { kind: "symlink", name, target: readSource(() => source.readlink(rel)) };
    if (st.kind === "directory") {
      const names = readSource(() => source.readdir(rel));
      return { kind: "directory", name, digest: put(makeDirectory(names.map((n) => entry(joinRel(rel, n), n)))) };
    }
    const bytes = readSource(() => source.readFile(rel));
    const digest = digestOf(bytes);
    restoreObject(store, "blob", digest, bytes);
    return { kind: "file", name, size: bytes.length, executable: st.executable, digest };
  };
  const e = entry(root, "");
  return e.kind === "directory" ? e.digest : put(makeDirectory([e]));
}

/**
 * Mends `damage` (of one path) from `source`, whose `root` holds what the path should: each
 * damaged file is taken from the same place in `source` if its bytes hash right, a damaged
 * directory if the subtree there hashes to it. Returns what was mended; the rest is left.
 */
function mendFrom(store: Store, damage: readonly Damage[], source: TreeReader, root = ""): Damage[] {
  const mended: Damage[] = [];
  for (const d of damage) {
    const at = joinRel(root, d.file);
    try {
      const st = readSource(() => source.stat(at));
      if (!st) continue;
      if (d.kind === "blob") {
        if (st.kind === "file" && restoreObject(store, "blob", d.digest, readSource(() => source.readFile(at)))) mended.push(d);
      } else if ((st.kind === "directory" || d.file === "") && restoreTree(store, source, at) === d.digest) {
        mended.push(d);
      }
    } catch (e) {
      if (!(e instanceof Unreadable)) throw e;
    }
  }
  return mended;
}

/**
 * Mends the path from `source` until nothing is left or no step helps (a mended directory can
 * uncover damage below it). Returns what was mended and the damage left.
 */
export function mendPath(store: Store, storePath: string, cid: Digest, source: TreeReader, root = "", first?: Damage[]): { mended: Damage[]; left: Damage[] } {
  const mended: Damage[] = [];
  let left = first ?? findDamage(store, storePath, cid);
  while (left.length) {
    const now = mendFrom(store, left, source, root);
    if (!now.length) break;
    mended.push(...now);
    left = findDamage(store, storePath, cid);
  }
  return { mended, left };
}

export interface Drift {
  storePath: string;
  file: string;
  message: string;
}

/**
 * How a copy of a path's tree (a host checkout) differs from its objects: missing, extra or
 * changed entries, by the file. `where` names the copy in messages. Damaged objects are not
 * reported here (findDamage does); their files are skipped.
 */
export function treeDrift(store: Store, storePath: string, cid: Digest, copy: TreeReader, where: string, opts: { contents?: boolean } = {}): Drift[] {
  const contents = opts.contents ?? true;
  const out: Drift[] = [];
  const drift = (file: string, what: string) => out.push({ storePath, file, message: `${file === "" ? where : `${where}/${file}`}: ${what} (the checkout of ${storePath})` });
  const dirOf = (d: Digest): Directory | null => {
    try {
      return store.directories.get(d);
    } catch {
      return null;
    }
  };
  const compare = (rel: string, e: DirEntry) => {
    const st = copy.stat(rel);
    if (!st) return drift(rel, "was removed");
    if (st.kind !== e.kind) return drift(rel, `is a ${st.kind}, but the store has a ${e.kind}`);
    if (e.kind === "symlink") {
      if (copy.readlink(rel) !== e.target) drift(rel, `points to ${copy.readlink(rel)}, but the store has ${e.target}`);
    } else if (e.kind === "file") {
      if (st.executable !== e.executable) drift(rel, e.executable ? "lost its executable bit" : "was made executable");
      if (st.size !== e.size) drift(rel, `is ${st.size} bytes, but the store has ${e.size}`);
      else if (contents && digestOf(copy.readFile(rel)) !== e.digest) drift(rel, `was changed (its contents no longer hash to blake3 ${e.digest})`);
    } else {
      const dir = dirOf(e.digest);
      if (!dir) return;
      const names = new Set(dir.entries.map((x) => x.name));
      for (const n of copy.readdir(rel).sort()) if (!names.has(n)) drift(joinRel(rel, n), "was added");
      for (const x of dir.entries) compare(joinRel(rel, x.name), x);
    }
  };
  const top = dirOf(cid);
  if (!top) return out;
  const wrapped = top.entries.length === 1 && top.entries[0]?.name === "";
  compare("", wrapped ? (top.entries[0] as DirEntry) : { kind: "directory", name: "", digest: cid });
  return out;
}
