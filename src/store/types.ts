/** Types shared across store/; imports nothing but the Digest brand. */
import type { Digest } from "./digest.ts";

/**
 * A tiny synchronous read-only file tree. Paths are relative, '/'-separated, without leading or
 * trailing slashes; "" is the root. A missing path is `null` from stat(); the other methods may
 * throw on a missing path. builder/ adapts the runtime's file systems to this, and view() returns
 * one the runtime can mount.
 */
export interface TreeReader {
  stat(path: string): TreeStat | null;
  /** Entry names of a directory, in any order. */
  readdir(path: string): string[];
  /** The contents; callers must not modify the returned bytes (they may be shared). */
  readFile(path: string): Uint8Array;
  /**
   * The contents in chunks of bounded size, each a fresh array: what readers of files too large to
   * hold whole (host trees) offer, so that narDump streams them. Optional; readFile is the fallback.
   */
  readChunks?(path: string): Iterable<Uint8Array>;
  readlink(path: string): string;
}

export type TreeStat =
  | { kind: "file"; size: number; executable: boolean }
  | { kind: "directory"; size: 0; executable: false }
  | { kind: "symlink"; size: number; executable: false };

/** One entry of a directory object. */
export type DirEntry =
  | { kind: "file"; name: string; size: number; executable: boolean; digest: Digest }
  | { kind: "directory"; name: string; digest: Digest }
  | { kind: "symlink"; name: string; target: string };

/** A directory object: entries sorted by the UTF-8 bytes of their names. */
export interface Directory {
  entries: DirEntry[];
}

/** What the store knows about one store path. */
export interface PathInfo {
  /** `/nix/store/<hash>-<name>`. */
  storePath: string;
  /** BLAKE3 merkle root of the tree (a Directory digest). */
  cid: Digest;
  /** Other store paths (and possibly itself) this path refers to, sorted. */
  references: string[];
  /** Size in bytes of the path's NAR serialisation. */
  narSize: number;
  /** `sha256:<nixbase32>` of the NAR serialisation, as Nix writes it. */
  narHash: string;
  /** The pid of the package that produced it, or null (added by hand, imported from Nix). */
  pid: Digest | null;
  /** Nix-format signatures `keyname:base64` over the fingerprint. */
  signatures: string[];
  /** Unix seconds. */
  registrationTime: number;
  /** Nix's deriver field, kept when imported; eka itself leaves it out. */
  deriver?: string;
}

/** What register() needs; the NAR fields are computed (and checked, if given). */
export interface NewPathInfo {
  storePath: string;
  cid: Digest;
  references?: string[];
  pid?: Digest | null;
  signatures?: string[];
  narHash?: string;
  narSize?: number;
  registrationTime?: number;
  deriver?: string;
}

/** pid → cid, with the store path the pid names. */
export interface Realisation {
  pid: Digest;
  cid: Digest;
  storePath: string;
}
