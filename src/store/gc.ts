/**
 * Garbage collection: everything reachable from the roots through references stays; other path
 * info goes first (so nothing visible points at a missing object), then unreachable objects.
 * Objects stored but not yet registered are unreachable: builders use Store.ingest (one lock for
 * add + register) so a collection can't fall between the two.
 */
import type { Digest } from "./digest.ts";
import { parseStorePath } from "./store-path.ts";
import type { Store } from "./store.ts";

export interface GcResult {
  dryRun: boolean;
  /** Store paths removed (or that would be), sorted. */
  deadPaths: string[];
  /** Bytes of objects removed (or that would be). */
  freedBytes: number;
  deletedObjects: number;
  livePaths: number;
}

export function collectGarbage(store: Store, roots: string[], options: { dryRun?: boolean } = {}): GcResult {
  const b = store.backend;
  return b.withLock(() => {
    const registered = store.pathInfo.list();
    const live = new Set(store.closure(roots.filter((r) => registered.includes(r))));
    const deadPaths = registered.filter((p) => !live.has(p));
    const liveObjects = { blob: new Set<Digest>(), directory: new Set<Digest>() };
    for (const p of live) {
      const info = store.queryPathInfo(p);
      if (!info) continue;
      for (const [d, dir] of store.directories.getRecursive(info.cid) ?? []) {
        liveObjects.directory.add(d);
        for (const e of dir.entries) if (e.kind === "file") liveObjects.blob.add(e.digest);
      }
    }
    let freedBytes = 0;
    let deletedObjects = 0;
    const deadObjects: Array<["blob" | "directory", Digest]> = [];
    for (const kind of ["blob", "directory"] as const) {
      for (const d of b.listObjects(kind)) {
        if (liveObjects[kind].has(d)) continue;
        deadObjects.push([kind, d]);
        freedBytes += b.objectSize(kind, d) ?? 0;
        deletedObjects++;
      }
    }
    if (!options.dryRun) {
      const dead = new Set(deadPaths);
      for (const pid of b.listRealisations()) {
        const r = b.readRealisation(pid);
        if (r && dead.has(r.storePath)) b.deleteRealisation(pid);
      }
      for (const p of deadPaths) b.deletePathInfo(parseStorePath(p).basename);
      for (const [kind, d] of deadObjects) b.deleteObject(kind, d);
    }
    return { dryRun: !!options.dryRun, deadPaths, freedBytes, deletedObjects, livePaths: live.size };
  });
}
