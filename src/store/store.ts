/**
 * The Store: checked, ordered operations over a raw Backend. Content is addressed by BLAKE3 and
 * re-hashed when read; path info is written only after everything it points to is stored.
 */
import { EkaError } from "../errors.ts";
import { initBlake3 } from "../util/blake3.ts";
import type { Backend } from "./backend.ts";
import { MemoryBackend } from "./backends/memory.ts";
import { LayeredBackend } from "./backends/layered.ts";
import { parseDigest, type Digest } from "./digest.ts";
import { makeDirectory } from "./directory.ts";
import { narDump, narHashOf } from "./nar.ts";
import { ObjectTreeReader } from "./object-tree.ts";
import {
  blobService,
  directoryService,
  pathInfoService,
  realisationService,
  type BlobService,
  type DirectoryService,
  type PathInfoService,
  type RealisationService,
} from "./services.ts";
import { initSha256 } from "./sha256.ts";
import { parseStorePath, STORE_DIR } from "./store-path.ts";
import type { DirEntry, NewPathInfo, PathInfo, TreeReader, TreeStat } from "./types.ts";

export type { BlobService, DirectoryService, PathInfoService, RealisationService };

export interface Store {
  readonly address: string;
  /** Always /nix/store: the guest's view of the store, whatever the host location. */
  readonly storeDir: string;
  readonly backend: Backend;
  readonly blobs: BlobService;
  readonly directories: DirectoryService;
  readonly pathInfo: PathInfoService;
  readonly realisations: RealisationService;

  /** Stores the tree at `root` of `tree` (a directory, file or symlink) and returns its cid. */
  addTree(tree: TreeReader, root?: string): Digest;
  /**
   * Registers a store path whose objects are already stored (addTree). Checks the cid's objects
   * and the references exist, computes NAR hash and size (and checks them if given), then writes
   * the realisation (if pid) and finally the path info. Re-registering the same cid is a no-op
   * that merges signatures; a different cid for a registered path is E_PATH_CONFLICT.
   */
  register(info: NewPathInfo): PathInfo;
  /** addTree + register under one lock, so a concurrent gc can't collect in between. */
  ingest(tree: TreeReader, root: string, info: Omit<NewPathInfo, "cid">): PathInfo;
  has(storePath: string): boolean;
  queryPathInfo(storePath: string): PathInfo | null;
  /** The paths and everything they reference, transitively; sorted. Missing paths are errors. */
  closure(storePaths: string[]): string[];
  /**
   * A read-only tree rooted at the store directory showing only `storePaths` (each must be
   * registered): readdir("") lists their basenames, "<basename>/sub" reads inside them.
   */
  view(storePaths: string[]): TreeReader;
  /**
   * The tree of `cid` (a directory digest, as PathInfo.cid and the action cache hold): "" is its
   * root, which is a file or symlink for a tree added from one. Objects are read, and checked, as
   * they are reached; a missing one is E_MISSING_OBJECT.
   */
  tree(cid: Digest): TreeReader;
  /** The tree of a registered path, rooted at the path itself (E_NOT_IN_STORE when it is not). */
  pathTree(storePath: string): TreeReader;
  /** The file `rel` inside the registered path ("" when the path itself is a file). */
  readFile(storePath: string, rel: string): Uint8Array;
  /** The NAR serialisation of a registered path, in chunks (byte-identical to nix-store --dump). */
  dump(storePath: string): Generator<Uint8Array>;
  /**
   * Node file stores only: a host directory holding a read-only checkout of the path, made once
   * (temp name, then rename) and reused. Safe to hand to worker threads by name.
   */
  materialize?(storePath: string): string;
  close(): void;
}

export interface OpenOptions {
  /** Opens non-memory addresses (file://…); the Node entry point passes one. */
  openBackend?: (address: string) => Backend;
}

/**
 * Opens a store by address: `memory:`, `file:///abs/dir` (with openBackend from the Node entry),
 * or `near|far` to layer a near cache in front of a far store.
 */
export async function openStore(address: string, options: OpenOptions = {}): Promise<Store> {
  await initHashes();
  return new StoreImpl(openBackendByAddress(address, options));
}

/** BLAKE3 and SHA-256 are WebAssembly, instantiated once before any store is used. */
export async function initHashes(): Promise<void> {
  await Promise.all([initBlake3(), initSha256()]);
}

export function openBackendByAddress(address: string, options: OpenOptions = {}): Backend {
  if (address.includes("|")) {
    const parts = address.split("|");
    let backend = openBackendByAddress(parts.pop() as string, options);
    while (parts.length) backend = new LayeredBackend(openBackendByAddress(parts.pop() as string, options), backend);
    return backend;
  }
  if (address === "memory:" || address === "memory") return new MemoryBackend();
  if (options.openBackend) return options.openBackend(address);
  throw new EkaError(
    "E_STORE_ADDRESS",
    `cannot open store '${address}' here: only 'memory:' is built in; file stores need the Node entry (store/open.node.ts)`,
  );
}

/** Wraps an already-open backend (tests, custom layering). */
export async function storeFromBackend(backend: Backend): Promise<Store> {
  await initHashes();
  return new StoreImpl(backend);
}

export class StoreImpl implements Store {
  readonly storeDir = STORE_DIR;
  readonly blobs: BlobService;
  readonly directories: DirectoryService;
  readonly pathInfo: PathInfoService;
  readonly realisations: RealisationService;

  constructor(readonly backend: Backend) {
    this.blobs = blobService(backend);
    this.directories = directoryService(backend);
    this.pathInfo = pathInfoService(backend);
    this.realisations = realisationService(backend);
  }

  get address(): string {
    return this.backend.address;
  }

  addTree(tree: TreeReader, root = ""): Digest {
    const st = tree.stat(root);
    if (!st) throw new EkaError("E_NOT_FOUND", `cannot add '${root || "."}': it does not exist`);
    if (st.kind === "directory") return this.backend.withLock(() => this.addDir(tree, root));
    return this.backend.withLock(() => this.directories.put(makeDirectory([this.addEntry(tree, root, "", st)])));
  }

  private addDir(tree: TreeReader, path: string): Digest {
    const entries: DirEntry[] = [];
    for (const name of tree.readdir(path)) {
      const sub = path === "" ? name : `${path}/${name}`;
      const st = tree.stat(sub);
      if (!st) throw new EkaError("E_NOT_FOUND", `'${sub}' vanished while it was being added`);
      entries.push(this.addEntry(tree, sub, name, st));
    }
    return this.directories.put(makeDirectory(entries));
  }

  private addEntry(tree: TreeReader, path: string, name: string, st: TreeStat): DirEntry {
    if (st.kind === "directory") return { kind: "directory", name, digest: this.addDir(tree, path) };
    if (st.kind === "symlink") return { kind: "symlink", name, target: tree.readlink(path) };
    const bytes = tree.readFile(path);
    return { kind: "file", name, size: bytes.length, executable: st.executable, digest: this.blobs.put(bytes) };
  }

  register(info: NewPathInfo): PathInfo {
    return this.backend.withLock(() => this.registerLocked(info));
  }

  ingest(tree: TreeReader, root: string, info: Omit<NewPathInfo, "cid">): PathInfo {
    parseStorePath(info.storePath);
    return this.backend.withLock(() => this.registerLocked({ ...info, cid: this.addTree(tree, root) }));
  }

  private registerLocked(info: NewPathInfo): PathInfo {
    const parsed = parseStorePath(info.storePath);
    const cid = parseDigest(info.cid, `cid of ${info.storePath}`);
    if (!this.directories.getRecursive(cid)?.every(([, dir]) => dir.entries.every((e) => e.kind !== "file" || this.blobs.has(e.digest)))) {
      throw new EkaError("E_MISSING_OBJECT", `cannot register ${info.storePath}: the objects of cid ${cid} are not all in the store (add the tree first)`);
    }
    const references = [...new Set(info.references ?? [])].sort();
    for (const r of references) {
      if (r !== parsed.path && !this.has(r)) {
        throw new EkaError("E_MISSING_REFERENCE", `cannot register ${info.storePath}: its reference ${r} is not in the store (register references first)`);
      }
    }
    const existing = this.backend.readPathInfo(parsed.basename);
    if (existing) {
      if (existing.cid !== cid) {
        throw new EkaError("E_PATH_CONFLICT", `${info.storePath} is already registered with cid ${existing.cid}, not ${cid}; a store path's contents never change (gc it first if it is garbage)`);
      }
      const signatures = [...new Set([...existing.signatures, ...(info.signatures ?? [])])];
      if (signatures.length !== existing.signatures.length) this.backend.writePathInfo({ ...existing, signatures });
      return { ...existing, signatures };
    }
    const { narHash, narSize } = narHashOf(this.dumpCid(cid));
    if (info.narHash !== undefined && info.narHash !== narHash) {
      throw new EkaError("E_HASH_MISMATCH", `NAR hash of ${info.storePath} is ${narHash}, but ${info.narHash} was expected`);
    }
    if (info.narSize !== undefined && info.narSize !== narSize) {
      throw new EkaError("E_HASH_MISMATCH", `NAR size of ${info.storePath} is ${narSize}, but ${info.narSize} was expected`);
    }
    const full: PathInfo = {
      storePath: parsed.path,
      cid,
      references,
      narSize,
      narHash,
      pid: info.pid ?? null,
      signatures: [...(info.signatures ?? [])],
      registrationTime: info.registrationTime ?? Math.floor(Date.now() / 1000),
      ...(info.deriver ? { deriver: info.deriver } : {}),
    };
    if (full.pid) this.backend.writeRealisation({ pid: full.pid, cid, storePath: full.storePath });
    this.backend.writePathInfo(full);
    return full;
  }

  has(storePath: string): boolean {
    return this.backend.readPathInfo(parseStorePath(storePath).basename) !== null;
  }

  queryPathInfo(storePath: string): PathInfo | null {
    return this.pathInfo.get(storePath);
  }

  closure(storePaths: string[]): string[] {
    return closureOf(storePaths, (p) => this.queryPathInfo(p), this.address);
  }

  view(storePaths: string[]): TreeReader {
    const roots = new Map<string, Digest>();
    for (const p of storePaths) {
      const info = this.queryPathInfo(p);
      if (!info) throw new EkaError("E_NOT_IN_STORE", `cannot mount ${p}: it is not in the store ${this.address}`);
      roots.set(parseStorePath(p).basename, info.cid);
    }
    return new ObjectTreeReader(this, roots);
  }

  tree(cid: Digest): TreeReader {
    return new ObjectTreeReader(this, cid);
  }

  pathTree(storePath: string): TreeReader {
    const info = this.queryPathInfo(storePath);
    if (!info) throw new EkaError("E_NOT_IN_STORE", `cannot read ${storePath}: it is not in the store ${this.address}`);
    return new ObjectTreeReader(this, info.cid, { label: parseStorePath(storePath).path });
  }

  readFile(storePath: string, rel: string): Uint8Array {
    return this.pathTree(storePath).readFile(rel);
  }

  *dump(storePath: string): Generator<Uint8Array> {
    const info = this.queryPathInfo(storePath);
    if (!info) throw new EkaError("E_NOT_IN_STORE", `${storePath} is not in the store ${this.address}`);
    yield* this.dumpCid(info.cid);
  }

  /** NAR of a cid's tree, each object read once and not kept. */
  dumpCid(cid: Digest): Generator<Uint8Array> {
    return narDump(new ObjectTreeReader(this, cid, { cacheBytes: 0 }));
  }

  close(): void {
    this.backend.close();
  }
}

/**
 * The paths and everything they refer to, transitively, sorted, with path info from `lookup`
 * (the store's, or a build's memo of it). A missing path is E_NOT_IN_STORE naming `address`.
 */
export function closureOf(storePaths: readonly string[], lookup: (storePath: string) => PathInfo | null, address: string): string[] {
  const seen = new Set<string>();
  const stack = [...storePaths];
  while (stack.length) {
    const p = stack.pop() as string;
    if (seen.has(p)) continue;
    const info = lookup(p);
    if (!info) throw new EkaError("E_NOT_IN_STORE", `${p} is not in the store ${address}`);
    seen.add(info.storePath);
    for (const r of info.references) if (!seen.has(r)) stack.push(r);
  }
  return [...seen].sort();
}
