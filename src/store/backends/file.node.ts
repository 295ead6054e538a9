/**
 * `file:///abs/dir` — a store directory on the host:
 *
 *   objects/blob/<2 hex>/<digest>        file contents
 *   objects/directory/<2 hex>/<digest>   directory encodings
 *   info/<basename>.json                 path info
 *   realisations/<pid>.json              pid → cid
 *   cids/<cid>/<pid>                     cid → pids (empty marker files)
 *   gcroots/<name>                       gc roots (see gc.node.ts)
 *   checkout/<basename>                  read-only materialised store paths
 *   tmp/<pid>-…                          writes in progress; renamed into place when complete
 *   temproots/<pid>-…                    store paths a running build uses (see temproots.node.ts)
 *   lock, gc.lock                        "<pid> <thread>" of the writer / the collector holding it
 *   eka-store                            the marker that makes the directory a store
 *
 * Every file appears by rename, so a reader (or a crash) never sees half of one. Only a writer
 * creates a store, and only in a missing or empty directory (`FileBackend.open`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { EkaError } from "../../errors.ts";
import { atomicWrite, isNotFound, lockSync, makeDirs, readTextOrNull, threadId, type Release } from "../../util/host.node.ts";
import type { HostIoContext } from "../../util/io-errors.ts";
import type { Backend, ObjectKind } from "../backend.ts";
import { isDigest, parseDigest, type Digest } from "../digest.ts";
import { parseStorePath } from "../store-path.ts";
import type { PathInfo, Realisation } from "../types.ts";

const LOCK_TIMEOUT_MS = 10 * 60 * 1000;

/** The file whose presence makes a directory a store; written first when a store is created. */
const STORE_MARKER = "eka-store";
const MARKER_TEXT = "This directory is an eka store (format 1). Its files are eka's; change them only through eka.\n";
const LAYOUT = ["objects/blob", "objects/directory", "info", "realisations", "cids", "gcroots", "checkout", "tmp"];

export interface OpenFileStoreOptions {
  /** Create the store if the directory is missing or empty (commands that write). Default: false. */
  create?: boolean;
  /** What named the directory, for errors: `--store`, `EKA_STORE`, `XDG_DATA_HOME` or `default`. */
  chosenBy?: string;
}

export class FileBackend implements Backend {
  readonly address: string;
  private readonly madeDirs = new Set<string>();
  private tmpCounter = 0;

  /** A backend over `root` as it is; `FileBackend.open` checks that it is a store first. */
  constructor(readonly root: string) {
    this.address = pathToFileURL(root).href;
  }

  /**
   * Opens the store in `root`. A directory is a store if it holds the marker, or `objects/` and
   * `info/` (stores made before the marker). A missing or empty directory is created as a store
   * only with `create`; anything else is refused, naming the directory and what chose it.
   */
  static open(root: string, opts: OpenFileStoreOptions = {}): FileBackend {
    const where = `${root}${chosenByPhrase(opts.chosenBy)}`;
    const state = storeDirState(root);
    if (state.kind === "not-dir" && state.fileAbove) {
      throw new EkaError("E_NOT_DIRECTORY", `${state.fileAbove} is a file, so the store ${where} cannot be made below it; ${fixFor(opts.chosenBy)}`);
    }
    if (state.kind === "not-dir") {
      throw new EkaError("E_NOT_A_STORE", `${where} is not a directory, so it cannot be a store; ${fixFor(opts.chosenBy)}`);
    }
    if (state.kind === "other") {
      const shown = state.names.slice(0, 3).join(", ") + (state.names.length > 3 ? ", …" : "");
      throw new EkaError("E_NOT_A_STORE", `${where} is not an eka store: it holds other files (${shown}) and no ${STORE_MARKER} marker; ${fixFor(opts.chosenBy)}, or at a new or empty directory to create one there`);
    }
    if ((state.kind === "missing" || state.kind === "empty") && !opts.create) {
      const what = state.kind === "missing" ? "it does not exist" : "it is an empty directory";
      throw new EkaError("E_NO_STORE", `there is no store at ${where}: ${what}, and only a command that adds paths (eka build, eka store add, …) creates one; ${fixFor(opts.chosenBy)}, or build or add something there first`);
    }
    const b = new FileBackend(root);
    if (opts.create) b.prepare(state.kind === "store" && state.marked);
    return b;
  }

  /** Writes the marker (first, so a concurrent opener sees a store at once) and the layout. */
  private prepare(marked: boolean): void {
    if (!marked) {
      makeDirs(this.root);
      try {
        fs.writeFileSync(path.join(this.root, STORE_MARKER), MARKER_TEXT, { flag: "wx", mode: 0o444 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
    }
    for (const d of LAYOUT) this.ensureDir(path.join(this.root, d));
  }

  objectPath(kind: ObjectKind, d: Digest): string {
    return path.join(this.root, "objects", kind, d.slice(0, 2), d);
  }

  /** A fresh temp file name on the store's file system (so rename is atomic). */
  tempPath(tag = ""): string {
    this.ensureDir(path.join(this.root, "tmp"));
    return path.join(this.root, "tmp", `${process.pid}-${threadId()}-${Date.now().toString(36)}-${(this.tmpCounter++).toString(36)}${tag}`);
  }

  /**
   * Writes bytes to `dest` atomically: a temp file, then rename. A full disk or a read-only store
   * is a coded error naming the store (the temp file is removed, so the store is as it was).
   */
  atomicWrite(dest: string, bytes: Uint8Array | string, mode = 0o444): void {
    const io = { doing: `writing to the store ${this.root}`, fix: { E_PERMISSION: "make the store writable for this user, or use another store (--store, EKA_STORE)" } };
    this.ensureDir(path.dirname(dest), io);
    atomicWrite(dest, bytes, { mode, tmp: this.tempPath(), io });
  }

  ensureDir(dir: string, io?: HostIoContext): void {
    if (this.madeDirs.has(dir)) return;
    makeDirs(dir, io);
    this.madeDirs.add(dir);
  }

  hasObject(kind: ObjectKind, d: Digest): boolean {
    return fs.existsSync(this.objectPath(kind, d));
  }
  readObject(kind: ObjectKind, d: Digest): Uint8Array | null {
    try {
      return fs.readFileSync(this.objectPath(kind, d));
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }
  writeObject(kind: ObjectKind, d: Digest, bytes: Uint8Array): void {
    this.atomicWrite(this.objectPath(kind, d), bytes);
  }
  deleteObject(kind: ObjectKind, d: Digest): void {
    fs.rmSync(this.objectPath(kind, d), { force: true });
  }
  listObjects(kind: ObjectKind): Digest[] {
    const base = path.join(this.root, "objects", kind);
    const out: Digest[] = [];
    for (const sub of listDir(base)) {
      for (const name of listDir(path.join(base, sub))) if (isDigest(name)) out.push(name);
    }
    return out;
  }
  objectSize(kind: ObjectKind, d: Digest): number | null {
    try {
      return fs.statSync(this.objectPath(kind, d)).size;
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  readPathInfo(basename: string): PathInfo | null {
    const file = path.join(this.root, "info", `${basename}.json`);
    const text = readTextOrNull(file);
    return text === null ? null : parsePathInfoJson(text, file);
  }
  writePathInfo(info: PathInfo): void {
    this.atomicWrite(path.join(this.root, "info", `${parseStorePath(info.storePath).basename}.json`), JSON.stringify(info, null, 1) + "\n", 0o644);
  }
  deletePathInfo(basename: string): void {
    fs.rmSync(path.join(this.root, "info", `${basename}.json`), { force: true });
  }
  listPathInfo(): string[] {
    return listDir(path.join(this.root, "info"))
      .filter((n) => n.endsWith(".json"))
      .map((n) => n.slice(0, -5));
  }

  readRealisation(pid: Digest): Realisation | null {
    const file = path.join(this.root, "realisations", `${pid}.json`);
    const text = readTextOrNull(file);
    if (text === null) return null;
    try {
      const r = JSON.parse(text) as Realisation;
      return { pid: parseDigest(r.pid, file), cid: parseDigest(r.cid, file), storePath: String(r.storePath) };
    } catch (e) {
      throw new EkaError("E_CORRUPT_OBJECT", `realisation ${file} is corrupt (${e instanceof Error ? e.message : e}); delete it and rebuild`);
    }
  }
  writeRealisation(r: Realisation): void {
    const old = this.readRealisation(r.pid);
    // Marker first: a crash then leaves an extra cid → pid marker, which lookups re-check.
    this.atomicWrite(path.join(this.root, "cids", r.cid, r.pid), "", 0o444);
    this.atomicWrite(path.join(this.root, "realisations", `${r.pid}.json`), JSON.stringify(r) + "\n", 0o644);
    if (old && old.cid !== r.cid) fs.rmSync(path.join(this.root, "cids", old.cid, r.pid), { force: true });
  }
  deleteRealisation(pid: Digest): void {
    const old = this.readRealisation(pid);
    fs.rmSync(path.join(this.root, "realisations", `${pid}.json`), { force: true });
    if (old) {
      fs.rmSync(path.join(this.root, "cids", old.cid, pid), { force: true });
      try {
        fs.rmdirSync(path.join(this.root, "cids", old.cid));
      } catch {
        // other pids still produce this cid
      }
    }
  }
  pidsForCid(cid: Digest): Digest[] {
    let names: string[];
    try {
      names = fs.readdirSync(path.join(this.root, "cids", cid));
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
    return names.filter(isDigest).filter((pid) => this.readRealisation(pid)?.cid === cid);
  }
  listRealisations(): Digest[] {
    return listDir(path.join(this.root, "realisations"))
      .filter((n) => n.endsWith(".json"))
      .map((n) => n.slice(0, -5))
      .filter(isDigest);
  }

  /** Re-entrant within a thread, across every backend open on the same directory. */
  withLock<T>(fn: () => T): T {
    const file = path.join(this.root, "lock");
    const depth = lockDepth.get(file) ?? 0;
    const release = depth === 0 ? acquireLock(file, this.root) : undefined;
    lockDepth.set(file, depth + 1);
    try {
      return fn();
    } finally {
      lockDepth.set(file, depth);
      release?.();
    }
  }

  close(): void {}
}

const lockDepth = new Map<string, number>();

/** The names in `dir`, or none if it does not exist (a store opened to read creates nothing). */
export function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
}

type DirState = { kind: "store"; marked: boolean } | { kind: "missing" } | { kind: "empty" } | { kind: "not-dir"; fileAbove?: string } | { kind: "other"; names: string[] };

function storeDirState(root: string): DirState {
  if (fs.existsSync(path.join(root, STORE_MARKER))) return { kind: "store", marked: true };
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { kind: "missing" };
    if (code === "ENOTDIR") return { kind: "not-dir", fileAbove: fileAbove(root) };
    throw e;
  }
  if (!st.isDirectory()) return { kind: "not-dir" };
  const isDir = (n: string) => fs.statSync(path.join(root, n), { throwIfNoEntry: false })?.isDirectory() === true;
  if (isDir("objects") && isDir("info")) return { kind: "store", marked: false };
  // The root of a fresh file system holds lost+found, and is still empty for this purpose.
  const names = fs.readdirSync(root).filter((n) => n !== "lost+found").sort();
  return names.length === 0 ? { kind: "empty" } : { kind: "other", names };
}

/** The nearest ancestor of `p` that exists and is not a directory (why a stat said ENOTDIR). */
function fileAbove(p: string): string | undefined {
  for (let d = path.dirname(p); d !== path.dirname(d); d = path.dirname(d)) {
    const st = fs.statSync(d, { throwIfNoEntry: false });
    if (st) return st.isDirectory() ? undefined : d;
  }
  return undefined;
}

/** How errors say what chose a store: `--store`, `EKA_STORE`, `XDG_DATA_HOME` or `default`. */
export function chosenByPhrase(chosenBy: string | undefined): string {
  if (!chosenBy) return "";
  if (chosenBy === "default" || chosenBy === "XDG_DATA_HOME") {
    return ` (the default store${chosenBy === "XDG_DATA_HOME" ? " under $XDG_DATA_HOME" : ""}, as neither --store nor EKA_STORE is set)`;
  }
  return ` (given by ${chosenBy})`;
}

function fixFor(chosenBy: string | undefined): string {
  if (!chosenBy) return "open a store directory instead";
  if (chosenBy === "default" || chosenBy === "XDG_DATA_HOME") return "pass --store or set EKA_STORE to use a store elsewhere";
  return `point ${chosenBy} at a store`;
}

/**
 * The store's lock file (util/host.node.ts's rule: O_EXCL, "<pid> <thread>", a dead holder's lock
 * is taken over); a live holder is waited for, up to 10 minutes.
 */
export function acquireLock(file: string, storeRoot: string): Release {
  return lockSync(file, {
    timeoutMs: LOCK_TIMEOUT_MS,
    onTimeout: (holder) => new EkaError("E_STORE_LOCKED", `the store ${storeRoot} is locked by process ${holder ?? "?"} (${file}); wait for it, or remove the lock file if that process is gone`),
  });
}

/** Parses stored path info, checking digests as it reads them. */
export function parsePathInfoJson(text: string, where: string): PathInfo {
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    const info: PathInfo = {
      storePath: String(o.storePath),
      cid: parseDigest(String(o.cid), `${where}: cid`),
      references: Array.isArray(o.references) ? o.references.map(String) : [],
      narSize: Number(o.narSize),
      narHash: String(o.narHash),
      pid: o.pid === null || o.pid === undefined ? null : parseDigest(String(o.pid), `${where}: pid`),
      signatures: Array.isArray(o.signatures) ? o.signatures.map(String) : [],
      registrationTime: Number(o.registrationTime),
    };
    if (typeof o.deriver === "string") info.deriver = o.deriver;
    if (!Number.isFinite(info.narSize) || !info.narHash.startsWith("sha256:")) throw new Error("bad NAR fields");
    return info;
  } catch (e) {
    throw new EkaError("E_CORRUPT_OBJECT", `path info ${where} is corrupt (${e instanceof Error ? e.message : e}); run 'eka store verify'`);
  }
}
