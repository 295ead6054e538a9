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
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { EkaError } from "../../errors.ts";
import type { Backend, ObjectKind } from "../backend.ts";
import { isDigest, parseDigest, type Digest } from "../digest.ts";
import type { PathInfo, Realisation } from "../types.ts";

// node:worker_threads on first use: loading it cost a no-op `eka build` (which writes nothing)
// more than a millisecond.
const nodeRequire = createRequire(import.meta.url);
const threadId = (): number => (nodeRequire("node:worker_threads") as typeof import("node:worker_threads")).threadId;

const LOCK_TIMEOUT_MS = 10 * 60 * 1000;

export class FileBackend implements Backend {
  readonly address: string;
  private readonly madeDirs = new Set<string>();
  private lockDepth = 0;
  private tmpCounter = 0;

  constructor(readonly root: string) {
    this.address = pathToFileURL(root).href;
    for (const d of ["objects/blob", "objects/directory", "info", "realisations", "cids", "gcroots", "checkout", "tmp"]) {
      fs.mkdirSync(path.join(root, d), { recursive: true });
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

  /** Writes bytes to `dest` atomically: a temp file, then rename. */
  atomicWrite(dest: string, bytes: Uint8Array | string, mode = 0o444): void {
    const tmp = this.tempPath();
    fs.writeFileSync(tmp, bytes, { mode });
    this.ensureDir(path.dirname(dest));
    fs.renameSync(tmp, dest);
  }

  private ensureDir(dir: string): void {
    if (this.madeDirs.has(dir)) return;
    fs.mkdirSync(dir, { recursive: true });
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
    const base = info.storePath.slice(info.storePath.lastIndexOf("/") + 1);
    this.atomicWrite(path.join(this.root, "info", `${base}.json`), JSON.stringify(info, null, 1) + "\n", 0o644);
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

  withLock<T>(fn: () => T): T {
    if (this.lockDepth > 0) {
      this.lockDepth++;
      try {
        return fn();
      } finally {
        this.lockDepth--;
      }
    }
    const release = acquireLock(path.join(this.root, "lock"), this.root);
    this.lockDepth = 1;
    try {
      return fn();
    } finally {
      this.lockDepth = 0;
      release();
    }
  }

  close(): void {}
}

/**
 * Takes the lock file with O_EXCL, writing "<pid> <threadId>". A lock whose process is gone is
 * stale and is taken over; one held by a live process is waited for (up to 10 minutes).
 */
export function acquireLock(file: string, storeRoot: string): () => void {
  const me = `${process.pid} ${threadId()}`;
  const started = Date.now();
  let delay = 2;
  for (;;) {
    try {
      const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
      fs.writeSync(fd, me);
      fs.closeSync(fd);
      return () => {
        if (readTextOrNull(file) === me) fs.rmSync(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const holder = readTextOrNull(file);
    if (holder !== null && isStale(holder, file)) {
      // Move the stale lock aside under a unique name, and put it back if it turns out someone
      // else replaced it with a live one in the meantime.
      const aside = `${file}.stale-${me.replace(" ", "-")}`;
      try {
        fs.renameSync(file, aside);
        const moved = readTextOrNull(aside);
        if (moved !== holder) fs.renameSync(aside, file);
        else fs.rmSync(aside, { force: true });
      } catch {
        // Someone else got there first; try again.
      }
      continue;
    }
    if (Date.now() - started > LOCK_TIMEOUT_MS) {
      throw new EkaError("E_STORE_LOCKED", `the store ${storeRoot} is locked by process ${holder ?? "?"} (${file}); wait for it, or remove the lock file if that process is gone`);
    }
    sleepSync(delay);
    delay = Math.min(delay * 2, 100);
  }
}

function isStale(holder: string, file: string): boolean {
  if (holder.trim() === "") {
    // Created but not yet written: stale only if it has stayed empty for a while.
    try {
      return Date.now() - fs.statSync(file).mtimeMs > 2000;
    } catch {
      return false;
    }
  }
  const [pidText, tid] = holder.trim().split(" ");
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  if (pid === process.pid) return Number(tid) === threadId(); // our own thread: left over from an error
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

export function isNotFound(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

function readTextOrNull(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
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
