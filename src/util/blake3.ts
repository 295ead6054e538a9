/**
 * BLAKE3, shared by runtime/ (module cache keys) and store/ (digests), which may not import each
 * other. The implementation is chosen by measurement (bench/blake3.bench.ts): inputs of 16 KiB
 * and more, and streams past 64 KiB, go through a WebAssembly SIMD kernel that hashes four chunks
 * (or four parent nodes) at once (assembled in blake3-kernel.ts, driven by blake3-simd.ts);
 * smaller inputs use hash-wasm, which has less per-call cost, as does everything where
 * WebAssembly SIMD is missing. Both need a one-time async init; after `await initBlake3()` every
 * call is synchronous.
 */
import { createBLAKE3, type IHasher } from "hash-wasm";
import { buildKernel } from "./blake3-kernel.ts";
import { makeSimdHasher, simdStream, type SimdHasher } from "./blake3-simd.ts";

let hasher: IHasher | undefined;
let simd: SimdHasher | null | undefined;

/** Below this size one hash-wasm call beats the kernel's fixed costs. */
const SIMD_MIN_BYTES = 16 * 1024;

export async function initBlake3(): Promise<void> {
  hasher ??= await createBLAKE3(256);
}

/**
 * The SIMD kernel, made on first use rather than in initBlake3() so processes that only hash
 * small things don't pay for it. Compiling synchronously is refused on a browser's main thread;
 * there the first large inputs use hash-wasm while the kernel compiles in the background.
 */
function kernel(): SimdHasher | null {
  if (simd !== undefined) return simd;
  try {
    simd = makeSimdHasher(new WebAssembly.Module(buildKernel() as BufferSource));
  } catch {
    simd = null;
    if (typeof WebAssembly === "object" && typeof WebAssembly.compile === "function") {
      WebAssembly.compile(buildKernel() as BufferSource).then((m) => (simd = makeSimdHasher(m)), () => undefined);
    }
  }
  return simd;
}

/** Which implementation large inputs use: "simd" (the kernel below) or "hash-wasm" (no SIMD). */
export function blake3Implementation(): "simd" | "hash-wasm" {
  return kernel() ? "simd" : "hash-wasm";
}

/** Incremental hasher; call update() any number of times, then digest() once. */
export interface Blake3Stream {
  update(data: Uint8Array): Blake3Stream;
  digest(): Uint8Array;
}

export function blake3Stream(): Blake3Stream {
  if (!hasher) throw new Error("initBlake3() must be awaited before hashing");
  const k = kernel();
  if (k) return simdStream(k);
  // One shared hasher: each stream keeps its own saved state and loads it around every call,
  // so streams may interleave.
  const h = hasher;
  h.init();
  let saved = h.save();
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
  if (data.length >= SIMD_MIN_BYTES) {
    const k = kernel();
    if (k) return k.hash(data);
  }
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
