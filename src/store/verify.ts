/**
 * Store verification. By default every object a path needs is re-hashed and every NAR hash
 * recomputed; `checkContents: false` (the CLI's --fast) only asks that objects exist with their
 * recorded sizes. Problems name the store path and the file inside it. Objects no path uses (the
 * action cache's) are re-hashed too, and checkouts of paths are compared with the objects when the
 * caller can read them (Node: repair.node.ts).
 */
import { isEkaError } from "../errors.ts";
import type { Digest } from "./digest.ts";
import { narHashOf } from "./nar.ts";
import { validSignatures } from "./narinfo.ts";
import { findDamage, hashOf, treeDrift } from "./repair.ts";
import { parseStorePath } from "./store-path.ts";
import type { Store } from "./store.ts";
import type { TreeReader } from "./types.ts";

export interface VerifyProblem {
  code: string;
  message: string;
  storePath?: string;
  /** The file inside storePath the problem is in ("" for the path itself). */
  file?: string;
  object?: Digest;
}

export interface VerifyResult {
  paths: number;
  /** Objects re-hashed (0 with checkContents: false). */
  objects: number;
  /** Checkouts compared with their paths' objects. */
  checkouts: number;
  problems: VerifyProblem[];
}

export interface VerifyOptions {
  /** Re-hash every object and recompute every NAR hash (default true). */
  checkContents?: boolean;
  /** Also require every path to carry a valid signature by one of these keys. */
  trustedKeys?: string[];
  /** A path's checkout, if it has one: a tree over it and its host location for messages. */
  checkoutOf?: (storePath: string) => { tree: TreeReader; where: string } | null;
}

export function verifyStore(store: Store, options: VerifyOptions = {}): VerifyResult {
  const contents = options.checkContents ?? true;
  const problems: VerifyProblem[] = [];
  const hashed = new Map<string, Digest | null>();
  const paths = store.pathInfo.list();
  const registered = new Set(paths);
  let checkouts = 0;
  for (const p of paths) {
    const add = (code: string, message: string, more: Omit<VerifyProblem, "code" | "message"> = {}) => problems.push({ code, message: `${p}: ${message}`, storePath: p, ...more });
    let info;
    try {
      parseStorePath(p);
      info = store.queryPathInfo(p);
    } catch (e) {
      add(isEkaError(e) ? e.code : "E_CORRUPT_OBJECT", e instanceof Error ? e.message : String(e));
      continue;
    }
    if (!info) continue;
    for (const r of info.references) if (r !== p && !registered.has(r)) add("E_MISSING_REFERENCE", `its reference ${r} is not registered`);
    const damage = findDamage(store, p, info.cid, { contents, hashed });
    for (const d of damage) problems.push({ code: d.code, message: d.message, storePath: p, file: d.file, object: d.digest });
    if (options.trustedKeys && validSignatures(info, options.trustedKeys).length === 0) {
      add("E_BAD_SIGNATURE", `no valid signature by a trusted key (signatures by: ${info.signatures.map((x) => x.split(":")[0]).join(", ") || "none"})`);
    }
    if (info.pid) {
      const r = store.backend.readRealisation(info.pid);
      if (r && r.cid !== info.cid && r.storePath === p) add("E_REALISATION_MISMATCH", `realisation of pid ${info.pid} says cid ${r.cid}, path info says ${info.cid}`);
    }
    if (contents && damage.length === 0) {
      try {
        const { narHash, narSize } = narHashOf(store.dump(p));
        if (narHash !== info.narHash || narSize !== info.narSize) add("E_HASH_MISMATCH", `NAR hash/size is ${narHash}/${narSize}, path info says ${info.narHash}/${info.narSize}`);
      } catch (e) {
        add(isEkaError(e) ? e.code : "E_CORRUPT_OBJECT", e instanceof Error ? e.message : String(e));
      }
    }
    const checkout = options.checkoutOf?.(p);
    if (checkout) {
      checkouts++;
      try {
        for (const d of treeDrift(store, p, info.cid, checkout.tree, checkout.where, { contents })) problems.push({ code: "E_CHECKOUT_CHANGED", message: d.message, storePath: p, file: d.file });
      } catch (e) {
        problems.push({ code: "E_CHECKOUT_CHANGED", message: `${checkout.where}: cannot be read (${e instanceof Error ? e.message : e}) (the checkout of ${p})`, storePath: p });
      }
    }
  }
  if (contents) problems.push(...verifyLooseObjects(store, hashed));
  return { paths: paths.length, objects: contents ? hashed.size : 0, checkouts, problems };
}

/** Objects no registered path reached (the action cache's, garbage): re-hashed, named by digest. */
function verifyLooseObjects(store: Store, hashed: Map<string, Digest | null>): VerifyProblem[] {
  const problems: VerifyProblem[] = [];
  for (const kind of ["blob", "directory"] as const) {
    for (const d of store.backend.listObjects(kind)) {
      if (hashed.has(`${kind}:${d}`)) continue;
      const { actual } = hashOf(store, kind, d, hashed);
      if (actual !== null && actual !== d) {
        problems.push({ code: "E_CORRUPT_OBJECT", message: `${kind} ${d}: contents do not match (blake3 got ${actual}); no registered path uses it (an action cache entry?), and 'eka store repair --all' deletes it`, object: d });
      }
    }
  }
  return problems;
}
