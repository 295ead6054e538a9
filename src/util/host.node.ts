/**
 * Node-only host helpers shared by every layer that keeps files on disk: whether a process is
 * alive, atomic writes, lock files holding their owner's pid, and eka's cache directory. One rule
 * each, so a lock the store takes and one the builder takes go stale the same way.
 */
import * as fs from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import { EkaError } from "../errors.ts";
import { hostIoError, type HostIoContext } from "./io-errors.ts";

// node:worker_threads on first use: loading it cost a no-op `eka build` (which writes nothing)
// more than a millisecond.
const nodeRequire = createRequire(import.meta.url);
/** This thread's id (0 on the main thread), as lock files record it beside the OS pid. */
export const threadId = (): number => (nodeRequire("node:worker_threads") as typeof import("node:worker_threads")).threadId;

/**
 * Whether process `pid` exists. Any answer but ESRCH counts as alive (EPERM means it exists under
 * another user), so a lock or a directory is only taken from a process known to be gone. A pid
 * that is not a positive integer is never alive: kill(0) and kill(-n) would signal a group.
 */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** `$EKA_CACHE`, else `$XDG_CACHE_HOME/eka`, else `~/.cache/eka`: the one cache directory. */
export function cacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env.EKA_CACHE) return path.resolve(env.EKA_CACHE);
  return path.join(env.XDG_CACHE_HOME || path.join(homedir(), ".cache"), "eka");
}

let tempCounter = 0;

/**
 * A name beside `file` that no other writer uses (`<file>.tmp-<pid>-<thread>-<n>`); the pid lets a
 * later process remove what a killed one left.
 */
export function tempNameFor(file: string): string {
  return `${file}.tmp-${process.pid}-${threadId()}-${(tempCounter++).toString(36)}`;
}

/**
 * Writes `data` to `file` so that a reader, or a crash, never sees half of it: into `tmp` (default
 * tempNameFor(file); it must be on the same file system), then renamed over `file`. What the host
 * refuses (a full disk, a read-only directory) is the coded error naming `file`, not the temp
 * name; `io` adds what the caller was doing and its fixes.
 */
export function atomicWrite(file: string, data: string | Uint8Array, opts: { mode?: number; tmp?: string; io?: HostIoContext } = {}): void {
  const tmp = opts.tmp ?? tempNameFor(file);
  try {
    fs.writeFileSync(tmp, data, opts.mode === undefined ? {} : { mode: opts.mode });
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    // A refused temp file is a refused `file` (same directory); a missing one is a missing directory.
    const named = (e as NodeJS.ErrnoException).path === tmp && !isNotFound(e) ? { path: file } : {};
    throw hostIoError(e, { ...opts.io, ...named }) ?? e;
  }
}

export function isNotFound(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** The file's text, or null if it does not exist. */
export function readTextOrNull(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

/**
 * `mkdir -p` that fails at once with a coded error naming the part it could not create. Node's
 * `mkdirSync(dir, { recursive: true })` loops forever where mkdir answers ENOENT for an existing
 * parent (/proc), and reports ENOENT rather than EROFS on a read-only file system.
 */
export function makeDirs(dir: string, io: HostIoContext = {}): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); ; ) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(d);
    } catch (e) {
      // ENOTDIR: a file further up, which the walk reaches and names.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw hostIoError(e, { ...io, path: d }) ?? e;
    }
    if (st) {
      if (!st.isDirectory()) throw new EkaError("E_NOT_DIRECTORY", `${d} is a file where a directory is expected; move that file away or choose another path`);
      break;
    }
    missing.push(d);
    const parent = path.dirname(d);
    if (parent === d) break;
    d = parent;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST" && fs.statSync(d).isDirectory()) continue;
      throw hostIoError(e, { ...io, path: d }) ?? e;
    }
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

// ---- lock files ----

/** Removes the lock if this holder still has it; idempotent. */
export type Release = () => void;

/** A lock created but still empty is a writer between create and write, unless it stays empty. */
const EMPTY_LOCK_GRACE_MS = 2000;
/** Lock files this thread holds (its own pid and thread in a lock it doesn't hold are stale). */
const held = new Set<string>();
const owner = (): string => `${process.pid} ${threadId()}`;

/**
 * Takes the lock file `file` if it can without waiting: created with O_EXCL, holding
 * "<pid> <thread>" of its owner. A lock whose owner is gone (kill -9) is stale and is taken over.
 * Returns the release function, or null while a live owner holds it.
 */
export function tryLock(file: string): Release | null {
  for (;;) {
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = readTextOrNull(file);
      if (holder === null) continue;
      if (!isStale(file, holder)) return null;
      takeOver(file, holder);
      continue;
    }
    try {
      fs.writeSync(fd, owner());
    } catch (e) {
      fs.rmSync(file, { force: true });
      throw e;
    } finally {
      fs.closeSync(fd);
    }
    held.add(file);
    let releasing = false;
    return () => {
      if (releasing) return;
      releasing = true;
      held.delete(file);
      if (readTextOrNull(file) === owner()) fs.rmSync(file, { force: true });
    };
  }
}

/** Waits for the lock synchronously, polling; past `timeoutMs`, throws `onTimeout(holder)`. */
export function lockSync(file: string, opts: { timeoutMs: number; onTimeout: (holder: string | null) => Error }): Release {
  const started = Date.now();
  for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
    const release = tryLock(file);
    if (release) return release;
    if (Date.now() - started > opts.timeoutMs) throw opts.onTimeout(readTextOrNull(file));
    sleepSync(delay);
  }
}

/**
 * Waits (synchronously, polling) while another live holder has the lock file `file`, without
 * taking it; a stale lock does not count. Past `timeoutMs`, throws `onTimeout(holder)`.
 */
export function waitWhileLocked(file: string, opts: { timeoutMs: number; onTimeout: (holder: string | null) => Error }): void {
  // existsSync first: the usual answer (no lock) then costs a stat, not a thrown ENOENT.
  if (held.has(file) || !fs.existsSync(file)) return;
  const started = Date.now();
  for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
    const holder = readTextOrNull(file);
    if (holder === null || isStale(file, holder)) return;
    if (Date.now() - started > opts.timeoutMs) throw opts.onTimeout(holder);
    sleepSync(delay);
  }
}

/**
 * Waits for the lock without blocking the thread. `onWait` is called once, when a live holder is
 * first seen; an aborted `signal` throws `onAbort()`.
 */
export async function lock(file: string, opts: { onWait?: () => void; signal?: AbortSignal; onAbort: () => Error }): Promise<Release> {
  let onWait = opts.onWait;
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    const release = tryLock(file);
    if (release) return release;
    onWait?.();
    onWait = undefined;
    if (opts.signal?.aborted) throw opts.onAbort();
    await new Promise((r) => setTimeout(r, delay));
  }
}

function isStale(file: string, holder: string): boolean {
  const text = holder.trim();
  if (text === "") {
    try {
      return Date.now() - fs.statSync(file).mtimeMs > EMPTY_LOCK_GRACE_MS;
    } catch {
      return false;
    }
  }
  const [pidText, tid] = text.split(" ");
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  // Another thread of this process may hold it; this thread knows what it holds.
  if (pid === process.pid) return (tid === undefined || Number(tid) === threadId()) && !held.has(file);
  return !isAlive(pid);
}

/**
 * Moves a stale lock aside under a unique name. If it changed in between (someone else took it
 * over and holds it now), it is linked back, which never replaces a newer lock.
 */
function takeOver(file: string, holder: string): void {
  const aside = `${file}.stale-${process.pid}-${threadId()}`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return;
  }
  try {
    if (readTextOrNull(aside) !== holder) fs.linkSync(aside, file);
  } catch {
    // A newer lock is in place already.
  } finally {
    fs.rmSync(aside, { force: true });
  }
}
