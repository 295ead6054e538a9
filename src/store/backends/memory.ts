/** `memory:` — everything in Maps; embedded use, the browser, and tests. */
import type { Backend, ObjectKind } from "../backend.ts";
import type { Digest } from "../digest.ts";
import { parseStorePath } from "../store-path.ts";
import type { PathInfo, Realisation } from "../types.ts";

export class MemoryBackend implements Backend {
  readonly address = "memory:";
  private readonly objects = { blob: new Map<Digest, Uint8Array>(), directory: new Map<Digest, Uint8Array>() };
  private readonly infos = new Map<string, PathInfo>();
  private readonly realisations = new Map<Digest, Realisation>();
  private readonly byCid = new Map<Digest, Set<Digest>>();
  private locked = false;

  hasObject(kind: ObjectKind, d: Digest): boolean {
    return this.objects[kind].has(d);
  }
  readObject(kind: ObjectKind, d: Digest): Uint8Array | null {
    return this.objects[kind].get(d) ?? null;
  }
  writeObject(kind: ObjectKind, d: Digest, bytes: Uint8Array): void {
    // Copy: the caller may reuse its buffer, and a stored object must never change.
    if (!this.objects[kind].has(d)) this.objects[kind].set(d, bytes.slice());
  }
  deleteObject(kind: ObjectKind, d: Digest): void {
    this.objects[kind].delete(d);
  }
  listObjects(kind: ObjectKind): Digest[] {
    return [...this.objects[kind].keys()];
  }
  objectSize(kind: ObjectKind, d: Digest): number | null {
    return this.objects[kind].get(d)?.length ?? null;
  }

  readPathInfo(basename: string): PathInfo | null {
    const info = this.infos.get(basename);
    return info ? structuredClone(info) : null;
  }
  writePathInfo(info: PathInfo): void {
    this.infos.set(parseStorePath(info.storePath).basename, structuredClone(info));
  }
  deletePathInfo(basename: string): void {
    this.infos.delete(basename);
  }
  listPathInfo(): string[] {
    return [...this.infos.keys()];
  }

  readRealisation(pid: Digest): Realisation | null {
    const r = this.realisations.get(pid);
    return r ? { ...r } : null;
  }
  writeRealisation(r: Realisation): void {
    const old = this.realisations.get(r.pid);
    if (old) this.byCid.get(old.cid)?.delete(r.pid);
    this.realisations.set(r.pid, { ...r });
    let set = this.byCid.get(r.cid);
    if (!set) this.byCid.set(r.cid, (set = new Set()));
    set.add(r.pid);
  }
  deleteRealisation(pid: Digest): void {
    const old = this.realisations.get(pid);
    if (old) this.byCid.get(old.cid)?.delete(pid);
    this.realisations.delete(pid);
  }
  pidsForCid(cid: Digest): Digest[] {
    return [...(this.byCid.get(cid) ?? [])];
  }
  listRealisations(): Digest[] {
    return [...this.realisations.keys()];
  }

  withLock<T>(fn: () => T): T {
    // Single-threaded: the flag only catches re-entrant misuse.
    if (this.locked) return fn();
    this.locked = true;
    try {
      return fn();
    } finally {
      this.locked = false;
    }
  }
  close(): void {}
}
