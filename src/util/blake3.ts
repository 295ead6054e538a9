/**
 * BLAKE3, shared by runtime/ (module cache keys) and store/ (digests), which may not import each
 * other. The implementation is chosen by measurement (bench/blake3.bench.ts). It needs a one-time
 * async init (WebAssembly); after `await initBlake3()` every call is synchronous.
 */
import { createBLAKE3, type IHasher } from "hash-wasm";

let hasher: IHasher | undefined;

export async function initBlake3(): Promise<void> {
  hasher ??= await createBLAKE3(256);
}

/** Incremental hasher; call update() any number of times, then digest() once. */
export interface Blake3Stream {
  update(data: Uint8Array): Blake3Stream;
  digest(): Uint8Array;
}

export function blake3Stream(): Blake3Stream {
  if (!hasher) throw new Error("initBlake3() must be awaited before hashing");
  // One shared hasher is safe because JavaScript is single-threaded and callers finish a stream
  // before starting another only if they do not interleave; give each stream its own state copy.
  const h = hasher;
  h.init();
  const state = h.save();
  let saved = state;
  return {
    update(data) {
      h.load(saved);
      h.update(data);
      saved = h.save();
      return this;
    },
    digest() {
      h.load(saved);
      return h.digest("binary");
    },
  };
}

export function blake3(data: Uint8Array): Uint8Array {
  if (!hasher) throw new Error("initBlake3() must be awaited before hashing");
  hasher.init();
  hasher.update(data);
  return hasher.digest("binary");
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i] as number];
  return s;
}
