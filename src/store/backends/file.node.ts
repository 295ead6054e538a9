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
 *   lock                                 "<pid> <thread>" of the writer holding the lock
 *
 * Every file appears by rename, so a reader (or a crash) never sees half of one.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { EkaError } from "../../errors.ts";
import { atomicWrite, isNotFound, lockSync, makeDirs, readTextOrNull, threadId, type Release } from "../../util/host.node.ts";
import type { HostIoContext } from "../../util/io-errors.ts";
import type { Backend, ObjectKind } from "../backend.ts";
import { isDigest, parseDigest, type Digest } from "../digest.ts";
import { parseStorePath } from "../store-path.ts";
import type { PathInfo, Realisation } from "../types.ts";


const LOCK_TIMEOUT_MS = 10 * 60 * 1000;

export class FileBackend implements Backend {
  readonly address: string;
  private readonly madeDirs = new Set<string>();
  private tmpCounter = 0;

  constructor(readonly root: string) {
    this.address = pathToFileURL(root).href;
    for (const d of ["objects/blob", "objects/directory", "info", "realisations", "cids", "gcroots", "checkout", "tmp"]) {
      makeDirs(path.join(root, d));
    }
  }

  static fromAddress(address: string): FileBackend {
    if (!address.startsWith("file://")) {
      throw new EkaError("E_STORE_ADDRESS", `'${address}' is not a store address: use memory:, file:///absolute/dir, or a directory path`);
    }
    return new FileBackend(fileURLToPath(address));
  }

  objectPath(kind: ObjectKind, d: Digest): string {
    return path.join(this.root, "objects", kind, d.slice(0, 2), d);
  }

  /** A fresh temp file name on the store's file system (so rename is atomic). */
  tempPath(tag = ""): string {
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

  private ensureDir(dir: string, io: HostIoContext): void {
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
    for (const sub of fs.readdirSync(base)) {
      for (const name of fs.readdirSync(path.join(base, sub))) if (isDigest(name)) out.push(name);
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
    return fs
      .readdirSync(path.join(this.root, "info"))
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
    return fs
      .readdirSync(path.join(this.root, "realisations"))
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
