/**
 * GC roots on disk and the whole-store collection for file stores. A root is a file in
 * `<store>/gcroots/` recording a host symlink (e.g. a build's `-o result`), the store path it
 * keeps alive and the target the link had; once the link is gone or points elsewhere the root is
 * dead and is dropped.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { EkaError } from "../errors.ts";
import { blake3, toHex } from "../util/blake3.ts";
import { atomicWrite, isAlive, tempNameFor } from "../util/host.node.ts";
import { fileBackendOf, removeReadOnlyTree } from "./open.node.ts";
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

/** Registers the existing symlink `link` as a root for `storePath`. */
export function addRoot(store: Store, link: string, storePath: string): GcRoot {
  parseStorePath(storePath);
  if (!store.has(storePath)) throw new EkaError("E_NOT_IN_STORE", `cannot make a gc root for ${storePath}: it is not in the store`);
  const abs = path.resolve(link);
  const target = fs.readlinkSync(abs);
  const file = path.join(rootsDir(store), `${toHex(blake3(new TextEncoder().encode(abs))).slice(0, 32)}.json`);
  atomicWrite(file, JSON.stringify({ link: abs, storePath, target }) + "\n");
  return { file, link: abs, storePath, target, alive: true };
}

/**
 * Points `link` at a read-only checkout of `storePath` (replacing a previous symlink there,
 * never a real file) and registers it as a root: what `eka build -o result` needs.
 */
export function makeResultLink(store: Store, storePath: string, link: string): GcRoot {
  if (!store.materialize) throw new EkaError("E_STORE_ADDRESS", `result links need a file store, and ${store.address} is not one`);
  const dir = store.materialize(storePath);
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
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith(".json")).sort()) {
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
  /** Checkouts of dead paths and leftovers of crashed writers removed. */
  removedCheckouts: number;
  removedTemp: number;
}

/** Collects a file store: live roots (plus `extraRoots`) keep their closures; the rest goes. */
export function gcStore(store: Store, options: { dryRun?: boolean; extraRoots?: string[] } = {}): FullGcResult {
  const fb = fileBackendOf(store.backend);
  if (!fb) throw new EkaError("E_STORE_ADDRESS", `gc of ${store.address} needs a file store`);
  const roots = listRoots(store);
  const live = roots.filter((r) => r.alive);
  const result = collectGarbage(store, [...live.map((r) => r.storePath), ...(options.extraRoots ?? [])], options);
  const deadRoots = roots.filter((r) => !r.alive);
  let removedCheckouts = 0;
  let removedTemp = 0;
  if (!options.dryRun) {
    return store.backend.withLock(() => {
      for (const r of deadRoots) fs.rmSync(r.file, { force: true });
      const dead = new Set(result.deadPaths.map((p) => parseStorePath(p).basename));
      for (const name of fs.readdirSync(path.join(fb.root, "checkout"))) {
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
      removedTemp = cleanTemp(fb.root);
      return { ...result, roots: roots.length, deadRoots: deadRoots.map((r) => r.link), removedCheckouts, removedTemp };
    });
  }
  return { ...result, roots: roots.length, deadRoots: deadRoots.map((r) => r.link), removedCheckouts, removedTemp };
}

/** Removes temp files left by writers that no longer run. */
export function cleanTemp(root: string): number {
  let n = 0;
  const dir = path.join(root, "tmp");
  for (const name of fs.readdirSync(dir)) {
    if (!isAlive(Number(name.split("-")[0]))) {
      removeReadOnlyTree(path.join(dir, name));
      n++;
    }
  }
  return n;
}
