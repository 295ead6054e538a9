/**
 * Store verification: every registered path's objects exist (with the sizes its directories
 * record), its references are registered, and its realisation agrees; with checkContents every
 * object on disk is re-hashed and every NAR hash recomputed.
 */
import { isEkaError } from "../errors.ts";
import type { Digest } from "./digest.ts";
import { narHashOf } from "./nar.ts";
import { validSignatures } from "./narinfo.ts";
import { parseStorePath } from "./store-path.ts";
import type { Store } from "./store.ts";

export interface VerifyProblem {
  code: string;
  message: string;
  storePath?: string;
  object?: Digest;
}

export interface VerifyResult {
  paths: number;
  objects: number;
  problems: VerifyProblem[];
}

/** `trustedKeys`: also require every path to carry a valid signature by one of them. */
export function verifyStore(store: Store, options: { checkContents?: boolean; trustedKeys?: string[] } = {}): VerifyResult {
  const b = store.backend;
  const problems: VerifyProblem[] = [];
  const corrupt = new Set<Digest>();
  let objects = 0;
  if (options.checkContents) {
    for (const kind of ["blob", "directory"] as const) {
      for (const d of b.listObjects(kind)) {
        objects++;
        try {
          if (kind === "blob") store.blobs.get(d);
          else store.directories.get(d);
        } catch (e) {
          corrupt.add(d);
          problems.push({ code: isEkaError(e) ? e.code : "E_CORRUPT_OBJECT", message: e instanceof Error ? e.message : String(e), object: d });
        }
      }
    }
  }
  const paths = store.pathInfo.list();
  for (const p of paths) {
    const add = (code: string, message: string, object?: Digest) => problems.push({ code, message: `${p}: ${message}`, storePath: p, ...(object ? { object } : {}) });
    let info;
    try {
      parseStorePath(p);
      info = store.queryPathInfo(p);
    } catch (e) {
      add(isEkaError(e) ? e.code : "E_CORRUPT_OBJECT", e instanceof Error ? e.message : String(e));
      continue;
    }
    if (!info) continue;
    for (const r of info.references) if (r !== p && !paths.includes(r)) add("E_MISSING_REFERENCE", `its reference ${r} is not registered`);
    let dirs;
    try {
      dirs = store.directories.getRecursive(info.cid);
    } catch (e) {
      add("E_CORRUPT_OBJECT", e instanceof Error ? e.message : String(e));
      continue;
    }
    if (!dirs) {
      add("E_MISSING_OBJECT", `a directory object under cid ${info.cid} is missing`);
      continue;
    }
    let intact = true;
    for (const [, dir] of dirs) {
      for (const e of dir.entries) {
        if (e.kind !== "file") continue;
        const size = b.objectSize("blob", e.digest);
        if (size === null) {
          add("E_MISSING_OBJECT", `blob ${e.digest} (${e.name}) is missing`, e.digest);
          intact = false;
        } else if (size !== e.size) {
          add("E_CORRUPT_OBJECT", `blob ${e.digest} (${e.name}) is ${size} bytes, but its directory says ${e.size}`, e.digest);
          intact = false;
        } else if (corrupt.has(e.digest)) {
          intact = false;
        }
      }
    }
    if (options.trustedKeys && validSignatures(info, options.trustedKeys).length === 0) {
      add("E_BAD_SIGNATURE", `no valid signature by a trusted key (signatures by: ${info.signatures.map((x) => x.split(":")[0]).join(", ") || "none"})`);
    }
    if (info.pid) {
      const r = b.readRealisation(info.pid);
      if (r && r.cid !== info.cid && r.storePath === p) add("E_REALISATION_MISMATCH", `realisation of pid ${info.pid} says cid ${r.cid}, path info says ${info.cid}`);
    }
    if (options.checkContents && intact) {
      try {
        const { narHash, narSize } = narHashOf(store.dump(p));
        if (narHash !== info.narHash || narSize !== info.narSize) add("E_HASH_MISMATCH", `NAR hash/size is ${narHash}/${narSize}, path info says ${info.narHash}/${info.narSize}`);
      } catch (e) {
        add(isEkaError(e) ? e.code : "E_CORRUPT_OBJECT", e instanceof Error ? e.message : String(e));
      }
    }
  }
  return { paths: paths.length, objects, problems };
}
