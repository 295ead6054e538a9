/**
 * Temporary gc roots: the store paths a running build or run uses, which `eka store gc` in any
 * process keeps with their closures. A store handle that holds them (holdTempRoots) writes each
 * path it looks up or adds to `<store>/temproots/<pid>-<thread>-<n>`, one a line, *before* it
 * looks, and removes the file when closed or when the process exits; a file whose process is gone
 * (kill -9) counts for nothing and gc removes it.
 *
 * Why a path can't vanish between "it is there" and its use: the holder appends the path, then
 * waits while a live collector holds `<store>/gc.lock`, then checks. A collector takes gc.lock
 * before it reads temproots/. So either it reads the append and keeps the path, or the append came
 * after and the holder's check runs after the collection, seeing what it left.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { EkaError } from "../errors.ts";
import { isAlive, lockSync, readTextOrNull, threadId, waitWhileLocked, type Release } from "../util/host.node.ts";
import { listDir } from "./backends/file.node.ts";
import { fileBackendOf, NodeStore } from "./open.node.ts";
import { isStorePath } from "./store-path.ts";
import type { Store } from "./store.ts";

const GC_WAIT_MS = 10 * 60 * 1000;

/** The store paths one store handle uses, as a file in temproots/ that only grows until released. */
export class TempRoots {
  readonly file: string;
  private readonly paths = new Set<string>();
  private fd: number | null = null;

  constructor(readonly storeRoot: string) {
    this.file = path.join(storeRoot, "temproots", `${process.pid}-${threadId()}-${(fileCounter++).toString(36)}`);
  }

  /** Roots `storePath` for as long as this is held; returns once no collection can miss it. */
  add(storePath: string): void {
    if (this.paths.has(storePath) || !isStorePath(storePath)) return;
    if (this.fd === null) {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      // "w": a file of this name was left by a dead process that had our pid.
      this.fd = fs.openSync(this.file, "w");
      held.add(this);
      if (!exitHook) process.once("exit", (exitHook = () => [...held].forEach((r) => r.release())));
    }
    fs.writeSync(this.fd, `${storePath}\n`);
    waitForCollector(this.storeRoot);
    this.paths.add(storePath);
  }

  /** Drops every root this holds (idempotent). */
  release(): void {
    if (this.fd === null) return;
    fs.closeSync(this.fd);
    this.fd = null;
    this.paths.clear();
    held.delete(this);
    fs.rmSync(this.file, { force: true });
  }
}

let fileCounter = 0;
const held = new Set<TempRoots>();
let exitHook: (() => void) | undefined;

/**
 * Makes `store` hold temp roots for every path it looks up (has, queryPathInfo and what reads
 * through them) or adds (ingest, register) from now until it is closed: what a build or a run
 * needs. Null (and nothing held) for stores without a directory.
 */
export function holdTempRoots(store: Store): TempRoots | null {
  const fb = fileBackendOf(store.backend);
  if (!fb || !(store instanceof NodeStore)) return null;
  return (store.tempRoots ??= new TempRoots(fb.root));
}

function gcLockFile(storeRoot: string): string {
  return path.join(storeRoot, "gc.lock");
}

/** Takes the collector's lock (a dead collector's is taken over), waiting up to 10 minutes. */
export function lockForCollection(storeRoot: string): Release {
  return lockSync(gcLockFile(storeRoot), {
    timeoutMs: GC_WAIT_MS,
    onTimeout: (holder) => new EkaError("E_STORE_LOCKED", `another gc of ${storeRoot} (process ${holder ?? "?"}) has run for 10 minutes; wait for it, or remove ${gcLockFile(storeRoot)} if that process is gone`),
  });
}

function waitForCollector(storeRoot: string): void {
  waitWhileLocked(gcLockFile(storeRoot), {
    timeoutMs: GC_WAIT_MS,
    onTimeout: (holder) => new EkaError("E_STORE_LOCKED", `a gc of ${storeRoot} (process ${holder ?? "?"}) has run for 10 minutes; wait for it, or remove ${gcLockFile(storeRoot)} if that process is gone`),
  });
}

export interface TempRootsFound {
  /** Paths listed by live processes, sorted. */
  paths: string[];
  /** Files of live processes, and files of dead ones (removed unless dryRun). */
  liveFiles: number;
  deadFiles: number;
}

/** Reads temproots/ for a collector holding gc.lock: live processes' paths; dead ones' files go. */
export function readTempRoots(storeRoot: string, opts: { dryRun?: boolean } = {}): TempRootsFound {
  const dir = path.join(storeRoot, "temproots");
  const paths = new Set<string>();
  let liveFiles = 0;
  let deadFiles = 0;
  for (const name of listDir(dir)) {
    const file = path.join(dir, name);
    if (!isAlive(Number(name.split("-")[0]))) {
      deadFiles++;
      if (!opts.dryRun) fs.rmSync(file, { force: true });
      continue;
    }
    liveFiles++;
    // A line cut short by a crash is no store path, and is skipped.
    for (const line of (readTextOrNull(file) ?? "").split("\n")) if (isStorePath(line)) paths.add(line);
  }
  return { paths: [...paths].sort(), liveFiles, deadFiles };
}
