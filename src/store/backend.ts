/**
 * What a storage backend provides: raw, unchecked storage keyed by digest or store path. The
 * Store (store.ts) does all hashing, checking and ordering on top, so a backend stays small and
 * every backend gets the same guarantees. Reads are synchronous because the runtime's file
 * systems (WASI calls) are; a remote backend sits behind a near one that it fills.
 */
import type { Digest } from "./digest.ts";
import type { PathInfo, Realisation } from "./types.ts";

export type ObjectKind = "blob" | "directory";

export interface Backend {
  readonly address: string;
  hasObject(kind: ObjectKind, d: Digest): boolean;
  /** The stored bytes, unchecked, or null if absent. */
  readObject(kind: ObjectKind, d: Digest): Uint8Array | null;
  /** Stores bytes under d; visible only once complete. A second write of the same d is a no-op. */
  writeObject(kind: ObjectKind, d: Digest, bytes: Uint8Array): void;
  deleteObject(kind: ObjectKind, d: Digest): void;
  listObjects(kind: ObjectKind): Digest[];
  /** Stored size in bytes, or null if absent. */
  objectSize(kind: ObjectKind, d: Digest): number | null;

  /** Keyed by the store path's basename. The JSON form is the backend's business. */
  readPathInfo(basename: string): PathInfo | null;
  writePathInfo(info: PathInfo): void;
  deletePathInfo(basename: string): void;
  /** Basenames of every registered store path. */
  listPathInfo(): string[];

  readRealisation(pid: Digest): Realisation | null;
  writeRealisation(r: Realisation): void;
  deleteRealisation(pid: Digest): void;
  /** Every pid recorded as producing cid. */
  pidsForCid(cid: Digest): Digest[];
  listRealisations(): Digest[];

  /** Runs fn holding the store's write lock (exclusive between processes for disk stores). */
  withLock<T>(fn: () => T): T;
  close(): void;
}
