/**
 * GC roots on disk and the whole-store collection for file stores. A root is a file in
 * `<store>/gcroots/` recording a host symlink (e.g. a build's `-o result`), the store path it
 * keeps alive and the target the link had; once the link is gone or points elsewhere the root is
 * dead and is dropped. Running builds hold temp roots besides (temproots.node.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { EkaError } from "../errors.ts";
import { blake3, toHex } from "../util/blake3.ts";
import { isAlive, tempNameFor } from "../util/host.node.ts";
import { listDir, type FileBackend } from "./backends/file.node.ts";
import { fileBackendOf, removeReadOnlyTree } from "./open.node.ts";
import { lockForCollection, readTempRoots, TempRoots } from "./temproots.node.ts";
import { collectGarbage, type GcResult } from "./gc.ts";
import { parseStorePath } from "./store-path.ts";
import type { Store } from "./store.ts";

export interface GcRoot {
  /** The root's file in gcroots/. */
  file: string;
  link: string;
  storePath: string;
  target: string;
  alive: boolean;
}

function rootsDir(store: Store): string {
  const fb = fileBackendOf(store.backend);
  if (!fb) throw new EkaError("E_STORE_ADDRESS", `gc roots need a file store, and ${store.address} is not one`);
  return path.join(fb.root, "gcroots");
}

/**
 * Registers the existing symlink `link` as a root for `storePath`; checked and written under the
 * store's lock, which gc holds while it reads the roots.
 */
export function addRoot(store: Store, link: string, storePath: string): GcRoot {
  parseStorePath(storePath);
  const abs = path.resolve(link);
  const target = fs.readlinkSync(abs);
  const file = path.join(rootsDir(store), `${toHex(blake3(new TextEncoder().encode(abs))).slice(0, 32)}.json`);
  store.backend.withLock(() => {
    if (!store.has(storePath)) throw new EkaError("E_NOT_IN_STORE", `cannot make a gc root for ${storePath}: it is not in the store`);
    (fileBackendOf(store.backend) as FileBackend).atomicWrite(file, JSON.stringify({ link: abs, storePath, target }) + "\n", 0o644);
  });
  return { file, link: abs, storePath, target, alive: true };
}

/**
 * Points `link` at a read-only checkout of `storePath` (replacing a previous symlink there,
 * never a real file) and registers it as a root: what `eka build -o result` needs.
 */
export function makeResultLink(store: Store, storePath: string, link: string): GcRoot {
  const fb = fileBackendOf(store.backend);
  if (!store.materialize || !fb) throw new EkaError("E_STORE_ADDRESS", `result links need a file store, and ${store.address} is not one`);
  // Rooted from before the checkout until the gc root exists, so a concurrent gc can't fall between.
  const temp = new TempRoots(fb.root);
  try {
    temp.add(storePath);
    return linkAndRoot(store, store.materialize(storePath), storePath, link);
  } finally {
    temp.release();
  }
}

function linkAndRoot(store: Store, dir: string, storePath: string, link: string): GcRoot {
  const abs = path.resolve(link);
  let existing: fs.Stats | null = null;
  try {
    existing = fs.lstatSync(abs);
  } catch {
    existing = null;
  }
  if (existing && !existing.isSymbolicLink()) throw new EkaError("E_EXISTS", `${abs} exists and is not a symlink; remove it or choose another -o`);
  const tmp = tempNameFor(abs);
  fs.symlinkSync(dir, tmp);
  fs.renameSync(tmp, abs);
  return addRoot(store, abs, storePath);
}

export function listRoots(store: Store): GcRoot[] {
  const dir = rootsDir(store);
  const out: GcRoot[] = [];
  for (const name of listDir(dir).filter((n) => n.endsWith(".json")).sort()) {
    const file = path.join(dir, name);
    try {
      const r = JSON.parse(fs.readFileSync(file, "utf8")) as { link: string; storePath: string; target: string };
      let now: string | null = null;
      try {
        now = fs.readlinkSync(r.link);
      } catch {
        now = null;
      }
      out.push({ file, link: r.link, storePath: r.storePath, target: r.target, alive: now === r.target && store.has(r.storePath) });
    } catch {
      out.push({ file, link: "", storePath: "", target: "", alive: false });
    }
  }
  return out;
}

export interface FullGcResult extends GcResult {
  roots: number;
  deadRoots: string[];
  /** Paths running builds and runs hold (temproots/), and files of dead processes removed there. */
  tempRoots: number;
  removedTempRoots: number;
  /** Checkouts of dead paths removed. */
  removedCheckouts: number;
  /** Leftovers of writers that no longer run, removed from tmp/ (or that would be), and their bytes. */
  removedTemp: number;
  removedTempBytes: number;
}

/**
 * Collects a file store: live roots, the temp roots of running processes (plus `extraRoots`) keep
 * their closures; the rest goes. It holds the store's lock and gc.lock throughout, so no writer
 * adds a path and no build roots one unseen while it decides.
 */
export function gcStore(store: Store, options: { dryRun?: boolean; extraRoots?: string[] } = {}): FullGcResult {
  const fb = fileBackendOf(store.backend);
  if (!fb) throw new EkaError("E_STORE_ADDRESS", `gc of ${store.address} needs a file store`);
  const dryRun = !!options.dryRun;
  return store.backend.withLock(() => {
    const release = lockForCollection(fb.root);
    try {
      const temp = readTempRoots(fb.root, { dryRun });
      const roots = listRoots(store);
      const deadRoots = roots.filter((r) => !r.alive);
      const live = roots.filter((r) => r.alive).map((r) => r.storePath);
      const result = collectGarbage(store, [...live, ...temp.paths, ...(options.extraRoots ?? [])], options);
      let removedCheckouts = 0;
      if (!dryRun) {
        for (const r of deadRoots) fs.rmSync(r.file, { force: true });
        const dead = new Set(result.deadPaths.map((p) => parseStorePath(p).basename));
        for (const name of listDir(path.join(fb.root, "checkout"))) {
          if (dead.has(name) || !store.backend.readPathInfo(name)) {
            // Moved out of checkout/ first: a gc killed while deleting must not leave a half tree
            // there, which the next build would take for the whole path. What stays in tmp/ is
            // collected like any leftover of a dead writer.
            const doomed = fb.tempPath("-checkout");
            fs.renameSync(path.join(fb.root, "checkout", name), doomed);
            removeReadOnlyTree(doomed);
            removedCheckouts++;
          }
        }
      }
      const tmp = cleanTemp(fb.root, { dryRun });
      return {
        ...result,
        roots: roots.length,
        deadRoots: deadRoots.map((r) => r.link),
        tempRoots: temp.paths.length,
        removedTempRoots: temp.deadFiles,
        removedCheckouts,
        removedTemp: tmp.removed,
        removedTempBytes: tmp.bytes,
      };
    } finally {
      release();
    }
  });
}

/** Removes (or with dryRun, counts) what writers that no longer run left in tmp/. */
export function cleanTemp(root: string, opts: { dryRun?: boolean } = {}): { removed: number; bytes: number } {
  let removed = 0;
  let bytes = 0;
  const dir = path.join(root, "tmp");
  for (const name of listDir(dir)) {
    if (isAlive(Number(name.split("-")[0]))) continue;
    const p = path.join(dir, name);
    bytes += treeBytes(p);
    if (!opts.dryRun) removeReadOnlyTree(p);
    removed++;
  }
  return { removed, bytes };
}

function treeBytes(p: string): number {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const name of fs.readdirSync(p)) n += treeBytes(path.join(p, name));
  return n;
}
