/**
 * The Store: checked, ordered operations over a raw Backend. Content is addressed by BLAKE3 and
 * re-hashed when read; path info is written only after everything it points to is stored.
 */
import { EkaError } from "../errors.ts";
import { initBlake3 } from "../util/blake3.ts";
import type { Backend } from "./backend.ts";
import { MemoryBackend } from "./backends/memory.ts";
import { LayeredBackend } from "./backends/layered.ts";
import { digestOf, parseDigest, type Digest } from "./digest.ts";
import { decodeDirectory, encodeDirectory, makeDirectory } from "./directory.ts";
import { narDumpNode, narHashOf } from "./nar.ts";
import { initSha256 } from "./sha256.ts";
import { parseStorePath, STORE_DIR } from "./store-path.ts";
import type { DirEntry, Directory, NewPathInfo, PathInfo, Realisation, TreeReader, TreeStat } from "./types.ts";

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
    const b = backend;
    this.blobs = {
      has: (d) => b.hasObject("blob", d),
      get: (d) => {
        const bytes = b.readObject("blob", d);
        if (bytes === null) return null;
        const actual = digestOf(bytes);
        if (actual !== d) {
          throw new EkaError("E_CORRUPT_OBJECT", `blob ${d} in ${b.address} is corrupt: its contents hash to ${actual}; run 'eka store verify --check-contents' and re-add or re-build what uses it`);
        }
        return bytes;
      },
      put: (bytes) => {
        const d = digestOf(bytes);
        if (!b.hasObject("blob", d)) b.writeObject("blob", d, bytes);
        return d;
      },
    };
    this.directories = {
      get: (d) => {
        const bytes = b.readObject("directory", d);
        if (bytes === null) return null;
        const actual = digestOf(bytes);
        if (actual !== d) {
          throw new EkaError("E_CORRUPT_OBJECT", `directory ${d} in ${b.address} is corrupt: its encoding hashes to ${actual}; run 'eka store verify --check-contents'`);
        }
        return decodeDirectory(bytes, d);
      },
      put: (dir) => {
        const bytes = encodeDirectory(dir);
        const d = digestOf(bytes);
        if (!b.hasObject("directory", d)) b.writeObject("directory", d, bytes);
        return d;
      },
      getRecursive: (d) => {
        const out: Array<[Digest, Directory]> = [];
        const seen = new Set<Digest>();
        const queue = [d];
        while (queue.length) {
          const cur = queue.shift() as Digest;
          if (seen.has(cur)) continue;
          seen.add(cur);
          const dir = this.directories.get(cur);
          if (!dir) return null;
          out.push([cur, dir]);
          for (const e of dir.entries) if (e.kind === "directory") queue.push(e.digest);
        }
        return out;
      },
    };
    this.pathInfo = {
      get: (p) => b.readPathInfo(parseStorePath(p).basename),
      put: (info) => b.writePathInfo(info),
      list: () => b.listPathInfo().map((n) => `${STORE_DIR}/${n}`).sort(),
    };
    this.realisations = {
      get: (pid) => b.readRealisation(pid),
      put: (r) => b.writeRealisation(r),
      pidsFor: (cid) => b.pidsForCid(cid),
    };
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
    const seen = new Set<string>();
    const stack = [...storePaths];
    while (stack.length) {
      const p = stack.pop() as string;
      if (seen.has(p)) continue;
      const info = this.queryPathInfo(p);
      if (!info) throw new EkaError("E_NOT_IN_STORE", `${p} is not in the store ${this.address}`);
      seen.add(info.storePath);
      for (const r of info.references) if (!seen.has(r)) stack.push(r);
    }
    return [...seen].sort();
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

  *dump(storePath: string): Generator<Uint8Array> {
    const info = this.queryPathInfo(storePath);
    if (!info) throw new EkaError("E_NOT_IN_STORE", `${storePath} is not in the store ${this.address}`);
    yield* this.dumpCid(info.cid);
  }

  /** NAR of a cid's tree, walking the directory objects directly. */
  *dumpCid(cid: Digest): Generator<Uint8Array> {
    const root = this.directories.get(cid);
    if (!root) throw new EkaError("E_MISSING_OBJECT", `directory ${cid} is missing from ${this.address}; run 'eka store verify'`);
    const only = root.entries[0];
    yield* narDumpNode(only && only.name === "" ? only : { kind: "directory", name: "", digest: cid }, this.narSource);
  }

  private readonly narSource = {
    directory: (d: Digest): Directory => {
      const dir = this.directories.get(d);
      if (!dir) throw new EkaError("E_MISSING_OBJECT", `directory ${d} is missing from ${this.address}; run 'eka store verify'`);
      return dir;
    },
    blob: (d: Digest): Uint8Array => {
      const bytes = this.blobs.get(d);
      if (!bytes) throw new EkaError("E_MISSING_OBJECT", `blob ${d} is missing from ${this.address}; run 'eka store verify'`);
      return bytes;
    },
  };

  close(): void {
    this.backend.close();
  }
}

type Node = { kind: "directory"; digest: Digest } | DirEntry;

/**
 * Reads store objects as a TreeReader. Directories are decoded once and indexed by name; file
 * contents, checked on their first read, are kept up to a budget so a compiler re-reading the
 * same headers doesn't re-hash them.
 */
export class ObjectTreeReader implements TreeReader {
  private readonly dirs = new Map<Digest, Map<string, DirEntry>>();
  private readonly files = new Map<Digest, Uint8Array>();
  private cachedBytes = 0;
  private static readonly CACHE_BYTES = 64 * 1024 * 1024;

  constructor(
    private readonly store: Store,
    private readonly roots: Map<string, Digest>,
  ) {}

  private dir(d: Digest): Map<string, DirEntry> {
    let dir = this.dirs.get(d);
    if (!dir) {
      const got = this.store.directories.get(d);
      if (!got) throw new EkaError("E_MISSING_OBJECT", `directory ${d} is missing from ${this.store.address}; run 'eka store verify'`);
      dir = new Map(got.entries.map((e) => [e.name, e]));
      this.dirs.set(d, dir);
    }
    return dir;
  }

  /** null for the store root itself; undefined if missing. */
  private resolve(path: string): Node | null | undefined {
    if (path === "") return null;
    const parts = path.split("/");
    const rootDigest = this.roots.get(parts[0] as string);
    if (!rootDigest) return undefined;
    const wrapped = this.dir(rootDigest).get("");
    let node: Node = wrapped ?? { kind: "directory", digest: rootDigest };
    for (let i = 1; i < parts.length; i++) {
      if (node.kind !== "directory") return undefined;
      const e = this.dir(node.digest).get(parts[i] as string);
      if (!e) return undefined;
      node = e;
    }
    return node;
  }

  stat(path: string): TreeStat | null {
    const n = this.resolve(path);
    if (n === undefined) return null;
    if (n === null || n.kind === "directory") return { kind: "directory", size: 0, executable: false };
    if (n.kind === "symlink") return { kind: "symlink", size: new TextEncoder().encode(n.target).length, executable: false };
    return { kind: "file", size: n.size, executable: n.executable };
  }

  readdir(path: string): string[] {
    const n = this.resolve(path);
    if (n === null) return [...this.roots.keys()].sort();
    if (n === undefined || n.kind !== "directory") throw new EkaError("E_NOT_DIRECTORY", `${STORE_DIR}/${path} is not a directory`);
    return [...this.dir(n.digest).keys()];
  }

  readFile(path: string): Uint8Array {
    const n = this.resolve(path);
    if (!n || n.kind !== "file") throw new EkaError("E_NOT_FILE", `${STORE_DIR}/${path} is not a file`);
    const cached = this.files.get(n.digest);
    if (cached) return cached;
    const bytes = this.store.blobs.get(n.digest);
    if (!bytes) throw new EkaError("E_MISSING_OBJECT", `blob ${n.digest} of ${STORE_DIR}/${path} is missing from ${this.store.address}; run 'eka store verify'`);
    if (this.cachedBytes + bytes.length <= ObjectTreeReader.CACHE_BYTES) {
      this.files.set(n.digest, bytes);
      this.cachedBytes += bytes.length;
    }
    return bytes;
  }

  readlink(path: string): string {
    const n = this.resolve(path);
    if (!n || n.kind !== "symlink") throw new EkaError("E_NOT_SYMLINK", `${STORE_DIR}/${path} is not a symlink`);
    return n.target;
  }
}

