/**
 * The first difference between two store objects, possibly in two stores: what the
 * reproducibility matrix (matrix.node.ts) reports when a cid differs. It reads the stores' own
 * objects (directories and blobs, re-hashed on read), so it compares what was registered, not a
 * checkout that may have been touched.
 */
import { pathToFileURL } from "node:url";
import { EkaError } from "../errors.ts";
import type { Digest } from "../store/digest.ts";
import { compareNames } from "../store/directory.ts";
import { openStore } from "../store/open.node.ts";
import type { Store } from "../store/store.ts";
import type { DirEntry, Directory } from "../store/types.ts";

/**
 * Where two trees first differ. `path` is relative to the store path ("" for the path itself).
 * - `content`: a file's bytes or a symlink's target differ; `offset` is the first differing byte
 *   (the shorter one's length when one is a prefix of the other).
 * - `missing`: the entry exists on one side only; `missingFrom` says which side lacks it.
 * - `type`: a file on one side is a directory or a symlink on the other.
 * - `mode`: same bytes, but one file is executable and the other is not.
 */
export interface StoreDifference {
  path: string;
  kind: "content" | "missing" | "type" | "mode";
  offset?: number;
  missingFrom?: "a" | "b";
}

/**
 * Compares `storePathA` in the file store at `storeDirA` with `storePathB` in the one at
 * `storeDirB` (the two may be the same store). Null when the trees are byte-identical (same
 * files, bytes, symlink targets, executable bits), else the first difference in the order the
 * directory objects and the NAR list entries: parents before children, names by their UTF-8
 * bytes. A path registered in neither is E_NOT_IN_STORE; neither store is created or changed.
 */
export async function compareStoreObjects(storeDirA: string, storePathA: string, storeDirB: string, storePathB: string): Promise<StoreDifference | null> {
  const a = await openStore(pathToFileURL(storeDirA).href, { create: false });
  try {
    const b = await openStore(pathToFileURL(storeDirB).href, { create: false });
    try {
      return compareStorePaths(a, storePathA, b, storePathB);
    } finally {
      b.close();
    }
  } finally {
    a.close();
  }
}

/** compareStoreObjects over stores already open. */
export function compareStorePaths(a: Store, storePathA: string, b: Store, storePathB: string): StoreDifference | null {
  const ca = cidOf(a, storePathA);
  const cb = cidOf(b, storePathB);
  if (ca === cb) return null;
  const da = directory(a, ca);
  const db = directory(b, cb);
  // A path that is one file or symlink is a root directory holding one entry named "".
  const single = (d: Directory) => d.entries.length === 1 && d.entries[0]?.name === "";
  if (single(da) !== single(db)) return { path: "", kind: "type" };
  return diffDirs(a, da, b, db, "");
}

function cidOf(store: Store, storePath: string): Digest {
  const info = store.queryPathInfo(storePath);
  if (!info) throw new EkaError("E_NOT_IN_STORE", `${storePath} is not registered in the store at ${store.address}; compare paths a build put there (eka store ls lists them)`);
  return info.cid;
}

function directory(store: Store, d: Digest): Directory {
  const dir = store.directories.get(d);
  if (!dir) throw new EkaError("E_MISSING_OBJECT", `directory ${d} is missing from the store at ${store.address}; 'eka store verify' names the paths that need it`);
  return dir;
}

function blob(store: Store, d: Digest): Uint8Array {
  const bytes = store.blobs.get(d);
  if (!bytes) throw new EkaError("E_MISSING_OBJECT", `blob ${d} is missing from the store at ${store.address}; 'eka store verify' names the paths that need it`);
  return bytes;
}

/** Both entry lists are sorted by compareNames (makeDirectory keeps them so): a merge walk. */
function diffDirs(a: Store, da: Directory, b: Store, db: Directory, prefix: string): StoreDifference | null {
  let i = 0;
  let j = 0;
  while (i < da.entries.length || j < db.entries.length) {
    const ea = da.entries[i];
    const eb = db.entries[j];
    const order = ea === undefined ? 1 : eb === undefined ? -1 : compareNames(ea.name, eb.name);
    if (order < 0) return { path: join(prefix, (ea as DirEntry).name), kind: "missing", missingFrom: "b" };
    if (order > 0) return { path: join(prefix, (eb as DirEntry).name), kind: "missing", missingFrom: "a" };
    const diff = diffEntries(a, ea as DirEntry, b, eb as DirEntry, join(prefix, (ea as DirEntry).name));
    if (diff) return diff;
    i++;
    j++;
  }
  return null;
}

function diffEntries(a: Store, ea: DirEntry, b: Store, eb: DirEntry, path: string): StoreDifference | null {
  if (ea.kind !== eb.kind) return { path, kind: "type" };
  if (ea.kind === "directory" && eb.kind === "directory") {
    return ea.digest === eb.digest ? null : diffDirs(a, directory(a, ea.digest), b, directory(b, eb.digest), path);
  }
  if (ea.kind === "symlink" && eb.kind === "symlink") {
    return ea.target === eb.target ? null : { path, kind: "content", offset: firstDifference(utf8.encode(ea.target), utf8.encode(eb.target)) };
  }
  if (ea.kind === "file" && eb.kind === "file") {
    if (ea.digest !== eb.digest) return { path, kind: "content", offset: firstDifference(blob(a, ea.digest), blob(b, eb.digest)) };
    if (ea.executable !== eb.executable) return { path, kind: "mode" };
  }
  return null;
}

/** The index of the first byte that differs (the shorter length when one is a prefix). */
export function firstDifference(x: Uint8Array, y: Uint8Array): number {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return i;
  return n;
}

const utf8 = new TextEncoder();

const join = (prefix: string, name: string): string => (prefix === "" ? name : name === "" ? prefix : `${prefix}/${name}`);
