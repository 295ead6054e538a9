/**
 * The store's four narrow services over a raw Backend: blobs and directories (content-addressed,
 * re-hashed on every read), path info and realisations. A missing item is null, not an error.
 */
import { EkaError } from "../errors.ts";
import type { Backend, ObjectKind } from "./backend.ts";
import { digestOf, type Digest } from "./digest.ts";
import { decodeDirectory, encodeDirectory } from "./directory.ts";
import { parseStorePath, STORE_DIR } from "./store-path.ts";
import type { Directory, PathInfo, Realisation } from "./types.ts";

export interface BlobService {
  has(d: Digest): boolean;
  /** The contents, re-hashed on read (E_CORRUPT_OBJECT if they don't match), or null. */
  get(d: Digest): Uint8Array | null;
  put(bytes: Uint8Array): Digest;
}

export interface DirectoryService {
  get(d: Digest): Directory | null;
  put(dir: Directory): Digest;
  /** d and every directory below it, parents before children; null if any is missing. */
  getRecursive(d: Digest): Array<[Digest, Directory]> | null;
}

export interface PathInfoService {
  get(storePath: string): PathInfo | null;
  /** Writes as given (no checks against objects); use Store.register for the checked path. */
  put(info: PathInfo): void;
  /** Every registered store path, sorted. */
  list(): string[];
}

export interface RealisationService {
  get(pid: Digest): Realisation | null;
  put(r: Realisation): void;
  /** Every pid that produced cid. */
  pidsFor(cid: Digest): Digest[];
}

/** The object's bytes re-hashed against d (E_CORRUPT_OBJECT on mismatch), or null if absent. */
function readChecked(b: Backend, kind: ObjectKind, d: Digest, mismatch: string): Uint8Array | null {
  const bytes = b.readObject(kind, d);
  if (bytes === null) return null;
  const actual = digestOf(bytes);
  if (actual !== d) {
    throw new EkaError("E_CORRUPT_OBJECT", `${kind} ${d} in ${b.address} is corrupt: ${mismatch} ${actual}; 'eka store verify' names the paths that use it and 'eka store repair' mends them`);
  }
  return bytes;
}

function writeOnce(b: Backend, kind: ObjectKind, bytes: Uint8Array): Digest {
  const d = digestOf(bytes);
  if (!b.hasObject(kind, d)) b.writeObject(kind, d, bytes);
  return d;
}

export function blobService(b: Backend): BlobService {
  return {
    has: (d) => b.hasObject("blob", d),
    get: (d) => readChecked(b, "blob", d, "its contents hash to"),
    put: (bytes) => writeOnce(b, "blob", bytes),
  };
}

export function directoryService(b: Backend): DirectoryService {
  const service: DirectoryService = {
    get: (d) => {
      const bytes = readChecked(b, "directory", d, "its encoding hashes to");
      return bytes === null ? null : decodeDirectory(bytes, d);
    },
    put: (dir) => writeOnce(b, "directory", encodeDirectory(dir)),
    getRecursive: (d) => {
      const out: Array<[Digest, Directory]> = [];
      const seen = new Set<Digest>();
      const queue = [d];
      while (queue.length) {
        const cur = queue.shift() as Digest;
        if (seen.has(cur)) continue;
        seen.add(cur);
        const dir = service.get(cur);
        if (!dir) return null;
        out.push([cur, dir]);
        for (const e of dir.entries) if (e.kind === "directory") queue.push(e.digest);
      }
      return out;
    },
  };
  return service;
}

export function pathInfoService(b: Backend): PathInfoService {
  return {
    get: (p) => b.readPathInfo(parseStorePath(p).basename),
    put: (info) => b.writePathInfo(info),
    list: () => b.listPathInfo().map((n) => `${STORE_DIR}/${n}`).sort(),
  };
}

export function realisationService(b: Backend): RealisationService {
  return {
    get: (pid) => b.readRealisation(pid),
    put: (r) => b.writeRealisation(r),
    pidsFor: (cid) => b.pidsForCid(cid),
  };
}
