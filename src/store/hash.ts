/**
 * The hashes a fixed-output source is checked against: of a file's bytes (as b3sum and sha256sum
 * print them), or of a tree's NAR serialisation (for sha256 exactly `nix hash path --base16`).
 * The NAR is streamed into the hash from narDump, never built whole in memory.
 */
import { blake3, blake3Stream, toHex } from "../util/blake3.ts";
import { updateBatched } from "../util/bytes.ts";
import { narDump } from "./nar.ts";
import { sha256Chunks } from "./sha256.ts";
import type { TreeReader } from "./types.ts";

export type HashAlgo = "blake3" | "sha256";

/** Lowercase hex hash of `data`. */
export function bytesHash(data: Uint8Array, algo: HashAlgo): string {
  return toHex(algo === "sha256" ? sha256Chunks([data]).digest : blake3(data));
}

/** Lowercase hex hash of the bytes `chunks` joins, hashed as they come (memory stays bounded). */
export function chunksHash(chunks: Iterable<Uint8Array>, algo: HashAlgo): string {
  if (algo === "sha256") return toHex(sha256Chunks(chunks).digest);
  const h = blake3Stream();
  updateBatched((b) => h.update(b), chunks);
  return toHex(h.digest());
}

/** Lowercase hex hash of the NAR serialisation of `root` of `tree`. */
export function narHash(tree: TreeReader, algo: HashAlgo, root = ""): string {
  return chunksHash(narDump(tree, root), algo);
}

/** `<algo>:<hex>` of a file's bytes or of a tree's NAR: what a source's `hash` field holds. */
export function contentHash(content: Uint8Array | TreeReader, algo: HashAlgo): string {
  return `${algo}:${content instanceof Uint8Array ? bytesHash(content, algo) : narHash(content, algo)}`;
}
