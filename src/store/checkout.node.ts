/**
 * Checkouts: read-only host copies of store paths at `<store>/checkout/<basename>` (files 0444,
 * or 0555 if executable, directories 0555), made from checked objects. What `-o result` points at
 * and what sandboxes mount. Read-only modes do not stop root or a chmod, so `verify` compares each
 * checkout with its path's objects and `repair` makes a changed one again.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { FileBackend } from "./backends/file.node.ts";
import { hostTree, writeHostTree } from "./host-tree.node.ts";
import { parseStorePath } from "./store-path.ts";
import type { Store } from "./store.ts";
import type { VerifyOptions } from "./verify.ts";

export function checkoutPath(fb: FileBackend, storePath: string): string {
  return path.join(fb.root, "checkout", parseStorePath(storePath).basename);
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** The checkout of `storePath`, made once (under tmp/, then renamed into place) and reused. */
export function materializeCheckout(store: Store, fb: FileBackend, storePath: string): string {
  const dest = checkoutPath(fb, storePath);
  if (exists(dest)) return dest;
  const tmp = writeCheckout(store, fb, storePath);
  try {
    fs.renameSync(tmp, dest);
  } catch (e) {
    // Another process materialised it first: theirs is identical, drop ours.
    if (!exists(dest)) throw e;
    removeReadOnlyTree(tmp);
  }
  return dest;
}

function writeCheckout(store: Store, fb: FileBackend, storePath: string): string {
  const tmp = fb.tempPath("-checkout");
  try {
    writeHostTree(store.view([storePath]), parseStorePath(storePath).basename, tmp, { readOnly: true });
  } catch (e) {
    removeReadOnlyTree(tmp);
    throw e;
  }
  return tmp;
}

/**
 * Replaces the checkout of `storePath` with a fresh one from its objects: the new one is written
 * in full first, then swapped in by two renames, so the checkout is whole at every moment but one
 * between them; a result link pointing at it keeps working.
 */
export function remakeCheckout(store: Store, fb: FileBackend, storePath: string): string {
  const dest = checkoutPath(fb, storePath);
  const fresh = writeCheckout(store, fb, storePath);
  const old = fb.tempPath("-old-checkout");
  try {
    if (exists(dest)) fs.renameSync(dest, old);
    fs.renameSync(fresh, dest);
  } catch (e) {
    // Another process made it meanwhile, from the same checked objects: keep theirs.
    if (!exists(dest)) throw e;
    removeReadOnlyTree(fresh);
  }
  removeReadOnlyTree(old);
  return dest;
}

/** For verifyStore: the checkout of a path, if it has one. */
export function checkoutsOf(fb: FileBackend): NonNullable<VerifyOptions["checkoutOf"]> {
  return (storePath) => {
    const where = checkoutPath(fb, storePath);
    return exists(where) ? { tree: hostTree(where), where } : null;
  };
}

/** rm -rf for trees whose directories were made read-only. */
export function removeReadOnlyTree(dir: string): void {
  const walk = (p: string) => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      fs.chmodSync(p, 0o755);
      for (const n of fs.readdirSync(p)) walk(path.join(p, n));
    }
  };
  walk(dir);
  fs.rmSync(dir, { recursive: true, force: true });
}
