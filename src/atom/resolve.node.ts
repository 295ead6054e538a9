/**
 * Node-only: loads an atom and its dependencies from disk and brings each atom.lock in line with
 * its manifest. An entry that still answers its manifest entry is kept; a missing or stale one is
 * resolved (git: highest semver tag matching the range, or the commit a ref names; url: fetched and
 * hashed; path: hashed). With `frozen`, a stale lock is an error instead. Git atoms are checked out
 * once into the cache directory, keyed by commit.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve as resolvePath } from "node:path";
import semver from "semver";
import { EkaError } from "../errors.ts";
import { fetchFailureReason } from "../util/io-errors.ts";
import { contentHash } from "../store/hash.ts";
import { isInside } from "../store/host-rules.node.ts";
import { hostContentHash } from "../store/host-tree.node.ts";
import { initBlake3 } from "../util/blake3.ts";
import { atomicWrite, cacheDir } from "../util/host.node.ts";
import { checkBuildSources } from "./check-sources.node.ts";
import { allowedDirs, checkContained, checkRemote, fetchedBound, localBound, type Bound } from "./contain.node.ts";
import { manifestError } from "./errors.ts";
import { HASH_CACHE_FILE, HashCache, scanPath, type Scan } from "./hash-cache.node.ts";
import { emptyLock, formatLock, LOCK_FILE, parseLock, type Lock, type LockedDep, type LockedSource } from "./lock.ts";
import { MANIFEST_FILE, parseManifest, type DepDecl, type Manifest, type SourceDecl } from "./manifest.ts";
import type { PackageIR } from "../ir/types.ts";
import type { AtomGraph } from "./to-ir.ts";

// Where cli/ still takes them from; the helpers live in util/host.node.ts.

/** An atom on disk with its checked lock and its loaded dependencies. */
export interface AtomNode {
  /** Absolute, symlinks resolved. */
  dir: string;
  manifest: Manifest;
  lock: Lock;
  deps: Record<string, AtomNode>;
  /** Where the atom came from: `path` on disk, or a git checkout in the cache. */
  origin: "path" | "git";
}

export interface LoadOptions {
  /** Fail with E_LOCK_STALE instead of resolving. */
  frozen?: boolean;
  /** Write changed locks of path atoms (default true). Git atoms' locks are never written. */
  write?: boolean;
  /** Where git atoms are checked out; default cacheDir(). */
  cacheDir?: string;
  fetch?: typeof fetch;
  /** Told about each lock entry resolution changed ("deps.greet: 1.2.0 (v1.2.0)"). */
  onChange?: (atomDir: string, what: string, why: string) => void;
  /**
   * Directories a local atom's path sources and dependencies may reach outside its repository
   * (`--allow-outside`), besides those in EKA_ALLOW_OUTSIDE. A fetched atom never may.
   */
  allowOutside?: readonly string[];
  /** Shared by several loads (openLoadSession): each atom is loaded once, the hash cache saved by closeLoadSession. */
  session?: LoadSession;
}

/**
 * What several loadAtomGraph calls of one command share when they load many roots of one
 * repository (`eka review` evaluates every atom of a revision): each atom directory is loaded,
 * its lock checked and its path sources hashed once, the path-hash cache written once at the end,
 * and atom → IR memoised across the roots.
 */
export interface LoadSession {
  loaded: Map<string, Promise<AtomNode>>;
  hashes: HashCache;
  manifests: Map<string, Manifest>;
  irMemo: Map<AtomGraph, Map<string, PackageIR>>;
}

export function openLoadSession(opts: LoadOptions = {}): LoadSession {
  return { loaded: new Map(), hashes: openHashCache(opts), manifests: new Map(), irMemo: new Map() };
}

/** Saves the session's path-hash cache. */
export function closeLoadSession(s: LoadSession): void {
  saveHashCache(s.hashes);
}

/** The directory holding atom.toml: `ref` may name the directory or the file itself. */
export function atomDirOf(ref: string, cwd = process.cwd()): string {
  const abs = resolvePath(cwd, ref);
  const dir = basename(abs) === MANIFEST_FILE ? dirname(abs) : abs;
  if (!existsSync(join(dir, MANIFEST_FILE))) {
    throw new EkaError("E_NO_ATOM", `no ${MANIFEST_FILE} in ${dir}; pass the directory of an atom (e.g. ./examples/hello), or create one with 'eka init'`);
  }
  return realpathSync(dir);
}

export function readManifest(dir: string): Manifest {
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new EkaError("E_NO_ATOM", `cannot read ${file}; pass the directory of an atom, or create one with 'eka init'`);
  }
  return parseManifest(text, displayPath(file));
}

/**
 * git.node.ts on first use: it loads node:child_process and node:fs/promises, which a lock check
 * of path atoms (the usual no-op build) does not need.
 */
const git = () => import("./git.node.ts");

/** LoadOptions plus the path-hash cache every lock check of one command shares. */
interface Ctx extends LoadOptions {
  hashes?: HashCache;
  /** allowOutside and EKA_ALLOW_OUTSIDE, as real paths. */
  allowed?: readonly string[];
  /** Manifests read so far, by directory: a dependent's lock check reads its dependency's too. */
  manifests?: Map<string, Manifest>;
}

/** Loads the atom in `dir` and everything it depends on, resolving locks as needed. */
export async function loadAtomGraph(dir: string, opts: LoadOptions = {}): Promise<AtomNode> {
  await initBlake3();
  const loaded = opts.session?.loaded ?? new Map<string, Promise<AtomNode>>();
  const hashes = opts.session?.hashes ?? openHashCache(opts);
  const real = realpathSync(dir);
  const allowed = allowedDirs(opts.allowOutside);
  // A root named by a git URI is a checkout in the cache, as fetched as any git dependency.
  const bound = isFetched(real, opts) ? fetchedBound(real) : localBound(real, allowed);
  try {
    return await loadOne(real, "path", { ...opts, hashes, allowed, manifests: opts.session?.manifests ?? new Map() }, [], loaded, bound);
  } finally {
    if (!opts.session) saveHashCache(hashes);
  }
}

/** Only the lock check of one atom (no dependency loading): the reasons it is stale, or []. */
export async function staleReasons(dir: string): Promise<string[]> {
  await initBlake3();
  const m = readManifest(dir);
  const lock = readLock(dir);
  const reasons: string[] = [];
  const hashes = openHashCache({});
  const real = realpathSync(dir);
  const bound = isFetched(real, {}) ? fetchedBound(real) : localBound(real, allowedDirs(undefined));
  await reconcile(dir, m, lock, { frozen: true, hashes }, reasons, bound)
    .catch((e: unknown) => {
      if (!(e instanceof EkaError && e.code === "E_LOCK_STALE")) throw e;
    })
    .finally(() => saveHashCache(hashes));
  return reasons;
}

function isFetched(realDir: string, opts: LoadOptions): boolean {
  const atoms = join(opts.cacheDir ?? cacheDir(), "atoms");
  const real = existsSync(atoms) ? realpathSync(atoms) : atoms;
  return realDir !== real && isInside(realDir, real);
}

function openHashCache(opts: LoadOptions): HashCache {
  return new HashCache(join(opts.cacheDir ?? cacheDir(), HASH_CACHE_FILE));
}

/** The cache only saves work: a cache directory that cannot be written is not an error. */
function saveHashCache(c: HashCache): void {
  const text = c.changedText();
  if (text === undefined) return;
  try {
    mkdirSync(dirname(c.file), { recursive: true });
    atomicWrite(c.file, text);
  } catch {
    // Next time re-hashes.
  }
}

/**
 * `bound` is what the atom's paths must stay inside: a path dependency of a fetched atom shares
 * its tree's bound, any other atom has its own.
 */
async function loadOne(dir: string, origin: "path" | "git", opts: Ctx, stack: string[], loaded: Map<string, Promise<AtomNode>>, bound: Bound): Promise<AtomNode> {
  const seen = loaded.get(dir);
  if (seen) return seen;
  const p = (async () => {
    const manifest = manifestIn(dir, opts.manifests);
    const lock = readLock(dir);
    const reasons: string[] = [];
    const newLock = await reconcile(dir, manifest, lock, { ...opts, write: origin === "path" && !bound.fetched && opts.write !== false }, reasons, bound);
    checkBuildSources(dir, manifest);
    const node: AtomNode = { dir, manifest, lock: newLock, deps: {}, origin };
    const chain = [...stack, dir];
    for (const [name, decl] of Object.entries(manifest.deps)) {
      const depDir = depDirOf(dir, decl, newLock.deps[name] as LockedDep, opts);
      const resolvedDir = existsSync(depDir) ? realpathSync(depDir) : depDir;
      if (chain.includes(resolvedDir)) {
        const ids = [...chain.slice(chain.indexOf(resolvedDir)), resolvedDir].map((d) => idOf(d));
        throw manifestError(
          "E_DEP_CYCLE",
          { file: manifest.file, positions: manifest.positions, path: ["deps", name] },
          `dependency cycle: ${ids.join(" → ")}. An atom cannot depend on itself through its dependencies; remove one of these [deps] entries`,
        );
      }
      if (decl.kind === "git" && !existsSync(depDir)) await fetchGitAtom(newLock.deps[name] as LockedDep, depDir);
      const depBound = decl.kind === "git" ? fetchedBound(resolvedDir) : bound.fetched ? bound : localBound(resolvedDir, opts.allowed ?? []);
      node.deps[name] = await loadOne(resolvedDir, decl.kind, opts, chain, loaded, depBound);
    }
    return node;
  })();
  loaded.set(dir, p);
  return p;
}

function manifestIn(dir: string, memo: Map<string, Manifest> | undefined): Manifest {
  let m = memo?.get(dir);
  if (!m) {
    m = readManifest(dir);
    memo?.set(dir, m);
  }
  return m;
}

function idOf(dir: string): string {
  try {
    return readManifest(dir).atom.id;
  } catch {
    return dir;
  }
}

function depDirOf(dir: string, decl: DepDecl, locked: LockedDep, opts: LoadOptions): string {
  if (decl.kind === "path") return resolvePath(dir, decl.path as string);
  return join(opts.cacheDir ?? cacheDir(), "atoms", locked.rev as string);
}

async function fetchGitAtom(locked: LockedDep, dest: string): Promise<void> {
  const { gitTree, writeTreeTo } = await git();
  const tree = await gitTree(locked.url as string, locked.rev as string);
  const got = contentHash(tree, "blake3");
  if (locked.hash && got !== locked.hash) {
    throw new EkaError("E_HASH_MISMATCH", `atom ${locked.id} from ${locked.url} at ${locked.rev}: hash mismatch\n  expected: ${locked.hash}\n  actual:   ${got}\nIf the new content is trusted, run 'eka resolve' to re-lock it.`);
  }
  await writeTreeTo(tree, dest);
}

export function readLock(dir: string): Lock {
  const file = join(dir, LOCK_FILE);
  if (!existsSync(file)) return emptyLock();
  return parseLock(readFileSync(file, "utf8"), displayPath(file));
}

/** Writes atom.lock atomically (temp file + rename). */
export function writeLock(dir: string, lock: Lock): void {
  atomicWrite(join(dir, LOCK_FILE), formatLock(lock));
}

/** The lock that answers `m`, from `lock` where it still does. Throws E_LOCK_STALE when frozen. */
async function reconcile(dir: string, m: Manifest, lock: Lock, opts: Ctx, reasons: string[], bound: Bound): Promise<Lock> {
  // Before anything is read: a path that leaves the bound (or a fetched atom's local git URL) is refused.
  for (const kind of ["srcs", "pins", "deps"] as const) {
    for (const [name, decl] of Object.entries(m[kind] as Record<string, SourceDecl | DepDecl>)) {
      if (decl.kind === "path") checkContained(dir, m, [kind, name, "path"], decl.path as string, bound);
      else if (decl.kind === "git") checkRemote(m, [kind, name, "url"], decl.url as string, bound);
    }
  }
  const out = emptyLock();
  const change = (what: string, why: string) => {
    reasons.push(`${what}: ${why}`);
    if (opts.frozen) return;
    opts.onChange?.(dir, what, why);
  };
  for (const kind of ["srcs", "pins"] as const) {
    const decls: Record<string, SourceDecl> = m[kind];
    for (const [name, decl] of Object.entries(decls)) {
      const what = `${kind}.${name}`;
      const old = lock[kind][name];
      const why = await sourceStale(dir, decl, old, opts.hashes);
      if (!why && old) {
        out[kind][name] = old;
        continue;
      }
      change(what, why ?? "not locked yet");
      if (!opts.frozen) out[kind][name] = await resolveSource(dir, decl, what, opts);
    }
    for (const name of Object.keys(lock[kind])) if (!(name in decls)) change(`${kind}.${name}`, "no longer in atom.toml");
  }
  for (const [name, decl] of Object.entries(m.deps)) {
    const what = `deps.${name}`;
    const old = lock.deps[name];
    const why = depStale(dir, decl, old, opts.manifests);
    if (!why && old) {
      out.deps[name] = decl.kind === "git" && decl.version !== old.range ? { ...old, range: decl.version as string } : old;
      continue;
    }
    change(what, why ?? "not locked yet");
    if (!opts.frozen) out.deps[name] = await resolveDep(dir, decl, what, opts);
  }
  for (const name of Object.keys(lock.deps)) if (!(name in m.deps)) change(`deps.${name}`, "no longer in atom.toml");
  if (reasons.length > 0 && opts.frozen) {
    throw new EkaError(
      "E_LOCK_STALE",
      `${displayPath(join(dir, LOCK_FILE))} is out of date with ${MANIFEST_FILE} (--frozen):\n  ${reasons.join("\n  ")}\nRun 'eka resolve' in ${displayPath(dir)} and commit ${LOCK_FILE}.`,
      { reasons },
    );
  }
  const changed = formatLock(out) !== formatLock(lock) || !existsSync(join(dir, LOCK_FILE));
  if (changed && opts.write !== false) writeLock(dir, out);
  return out;
}

async function sourceStale(dir: string, decl: SourceDecl, old: LockedSource | undefined, hashes: HashCache | undefined): Promise<string | undefined> {
  if (!old) return "not locked yet";
  if (old.kind !== decl.kind) return `was a ${old.kind} source, is now a ${decl.kind} source`;
  if (decl.hash && decl.hash !== old.hash) return "atom.toml names another hash";
  if (decl.kind === "path") {
    if (old.path !== decl.path) return `path changed from '${old.path}' to '${decl.path}'`;
    const now = await hashPath(resolvePath(dir, decl.path as string), decl.path as string, hashes);
    if (now !== old.hash) return `the content of '${decl.path}' changed (${old.hash.slice(0, 19)}… → ${now.slice(0, 19)}…)`;
    return undefined;
  }
  if (old.url !== decl.url) return `url changed from '${old.url}' to '${decl.url}'`;
  if (decl.kind === "git" && old.ref !== decl.ref) return `ref changed from '${old.ref}' to '${decl.ref}'`;
  return undefined;
}

function depStale(dir: string, decl: DepDecl, old: LockedDep | undefined, manifests: Map<string, Manifest> | undefined): string | undefined {
  if (!old) return "not locked yet";
  if (old.kind !== decl.kind) return `was a ${old.kind} atom, is now a ${decl.kind} atom`;
  if (decl.kind === "path") {
    if (old.path !== decl.path) return `path changed from '${old.path}' to '${decl.path}'`;
    const depDir = resolvePath(dir, decl.path as string);
    const dm = manifestIn(depDir, manifests);
    if (dm.atom.id !== old.id || dm.atom.version !== old.version) return `the atom at '${decl.path}' is now ${dm.atom.id} ${dm.atom.version} (locked: ${old.id} ${old.version})`;
    return undefined;
  }
  if (old.url !== decl.url) return `url changed from '${old.url}' to '${decl.url}'`;
  if (!semver.satisfies(old.version, decl.version as string)) return `locked version ${old.version} does not satisfy '${decl.version}'`;
  return undefined;
}

async function resolveSource(dir: string, decl: SourceDecl, what: string, opts: Ctx): Promise<LockedSource> {
  if (decl.kind === "path") {
    const hash = await hashPath(resolvePath(dir, decl.path as string), decl.path as string, opts.hashes);
    if (decl.hash && decl.hash !== hash) throw mismatch(what, decl.path as string, decl.hash, hash);
    return { kind: "path", path: decl.path as string, hash };
  }
  if (decl.kind === "git") {
    const { gitTree, resolveRef } = await git();
    const rev = await resolveRef(decl.url as string, decl.ref as string, what);
    const hash = decl.hash ?? contentHash(await gitTree(decl.url as string, rev), "blake3");
    return { kind: "git", url: decl.url as string, ref: decl.ref as string, rev, hash };
  }
  if (decl.hash) return { kind: "url", url: decl.url as string, hash: decl.hash };
  const f = opts.fetch ?? globalThis.fetch;
  let res: Response;
  try {
    res = await f(decl.url as string);
  } catch (e) {
    throw new EkaError("E_FETCH", `${what}: cannot fetch ${decl.url}: ${fetchFailureReason(e)}; check the url in atom.toml and the network`);
  }
  if (!res.ok) throw new EkaError("E_FETCH", `${what}: ${decl.url} answered HTTP ${res.status}; fix the url in atom.toml`);
  return { kind: "url", url: decl.url as string, hash: contentHash(new Uint8Array(await res.arrayBuffer()), "blake3") };
}

async function resolveDep(dir: string, decl: DepDecl, what: string, opts: LoadOptions): Promise<LockedDep> {
  if (decl.kind === "path") {
    const dm = readManifest(resolvePath(dir, decl.path as string));
    return { kind: "path", path: decl.path as string, id: dm.atom.id, version: dm.atom.version };
  }
  const url = decl.url as string;
  const { gitTree, highestMatching, writeTreeTo } = await git();
  const tag = await highestMatching(url, decl.version as string, what);
  const tree = await gitTree(url, tag.rev);
  const hash = contentHash(tree, "blake3");
  const dest = join(opts.cacheDir ?? cacheDir(), "atoms", tag.rev);
  if (!existsSync(dest)) await writeTreeTo(tree, dest);
  if (!existsSync(join(dest, MANIFEST_FILE))) throw new EkaError("E_NO_ATOM", `${what}: ${url} at ${tag.tag} has no ${MANIFEST_FILE} at its root; it is not an atom`);
  const dm = readManifest(dest);
  return { kind: "git", id: dm.atom.id, version: dm.atom.version, url, range: decl.version as string, tag: tag.tag, rev: tag.rev, hash };
}

/**
 * blake3 of a file's bytes, or of a directory's NAR, read in chunks (a file of any size costs
 * one chunk of memory) by the same NAR writer as the builder's check. With `hashes`, a source whose stat data matches the recorded fingerprint is not read.
 */
export async function hashPath(abs: string, shown: string, hashes?: HashCache): Promise<string> {
  const startedMs = Date.now();
  const missing = () => new EkaError("E_SOURCE", `source path '${shown}' (${abs}) does not exist; fix path in atom.toml`);
  let scan: Scan;
  try {
    scan = scanPath(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") throw e;
    throw missing();
  }
  const known = hashes?.get(abs, scan);
  if (known) return known;
  const hash = hostContentHash(abs, "blake3");
  if (!hash) throw missing();
  hashes?.set(abs, scan, hash, startedMs);
  return hash;
}

function mismatch(what: string, label: string, expected: string, actual: string): EkaError {
  return new EkaError("E_HASH_MISMATCH", `${what}: hash mismatch for ${label}\n  expected: ${expected}\n  actual:   ${actual}\nIf the new content is trusted, put the actual hash in atom.toml.`, { expected, actual });
}

/** Relative to the cwd when inside it (shorter messages), else absolute. */
export function displayPath(p: string): string {
  const rel = relative(process.cwd(), p);
  if (rel === "") return ".";
  return !rel.startsWith("..") && !isAbsolute(rel) ? rel : p;
}
