/**
 * A near cache in front of a far store: reads try near first and copy what far had into near;
 * writes go to far (the authority) and then near. Deletes (gc) apply to both.
 */
import type { Backend, ObjectKind } from "../backend.ts";
import type { Digest } from "../digest.ts";
import type { PathInfo, Realisation } from "../types.ts";

export class LayeredBackend implements Backend {
  constructor(
    readonly near: Backend,
    readonly far: Backend,
  ) {}

  get address(): string {
    return `${this.near.address}|${this.far.address}`;
  }

  hasObject(kind: ObjectKind, d: Digest): boolean {
    return this.near.hasObject(kind, d) || this.far.hasObject(kind, d);
  }
  readObject(kind: ObjectKind, d: Digest): Uint8Array | null {
    const near = this.near.readObject(kind, d);
    if (near) return near;
    const far = this.far.readObject(kind, d);
    // The Store checks the digest after this returns; a corrupt far object is not worth caching,
    // but caching it is harmless because every read is re-checked.
    if (far) this.near.writeObject(kind, d, far);
    return far;
  }
  writeObject(kind: ObjectKind, d: Digest, bytes: Uint8Array): void {
    this.far.writeObject(kind, d, bytes);
    this.near.writeObject(kind, d, bytes);
  }
  deleteObject(kind: ObjectKind, d: Digest): void {
    this.far.deleteObject(kind, d);
    this.near.deleteObject(kind, d);
  }
  listObjects(kind: ObjectKind): Digest[] {
    return [...new Set([...this.far.listObjects(kind), ...this.near.listObjects(kind)])];
  }
  objectSize(kind: ObjectKind, d: Digest): number | null {
    return this.near.objectSize(kind, d) ?? this.far.objectSize(kind, d);
  }

  readPathInfo(basename: string): PathInfo | null {
    const near = this.near.readPathInfo(basename);
    if (near) return near;
    const far = this.far.readPathInfo(basename);
    if (far) this.near.writePathInfo(far);
    return far;
  }
  writePathInfo(info: PathInfo): void {
    this.far.writePathInfo(info);
    this.near.writePathInfo(info);
  }
  deletePathInfo(basename: string): void {
    this.far.deletePathInfo(basename);
    this.near.deletePathInfo(basename);
  }
  listPathInfo(): string[] {
    return [...new Set([...this.far.listPathInfo(), ...this.near.listPathInfo()])];
  }

  readRealisation(pid: Digest): Realisation | null {
    return this.near.readRealisation(pid) ?? this.far.readRealisation(pid);
  }
  writeRealisation(r: Realisation): void {
    this.far.writeRealisation(r);
    this.near.writeRealisation(r);
  }
  deleteRealisation(pid: Digest): void {
    this.far.deleteRealisation(pid);
    this.near.deleteRealisation(pid);
  }
  pidsForCid(cid: Digest): Digest[] {
    return [...new Set([...this.far.pidsForCid(cid), ...this.near.pidsForCid(cid)])];
  }
  listRealisations(): Digest[] {
    return [...new Set([...this.far.listRealisations(), ...this.near.listRealisations()])];
  }

  withLock<T>(fn: () => T): T {
    return this.far.withLock(() => this.near.withLock(fn));
  }
  close(): void {
    this.near.close();
    this.far.close();
  }
}
