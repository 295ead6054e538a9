/**
 * SHA-256 for NAR hashes (the one place Nix needs it). Core code uses hash-wasm's WebAssembly
 * build (2-3× pure JS); the Node entry plugs in node:crypto (native, another 4×) with
 * useSha256().
 */
import { sha256 as jsSha256 } from "@noble/hashes/sha2.js";
import { createSHA256, type IHasher } from "hash-wasm";
import { updateBatched } from "../util/bytes.ts";

export interface Sha256 {
  update(b: Uint8Array): void;
  digest(): Uint8Array;
}

let native: (() => Sha256) | undefined;
let shared: IHasher | undefined;

/** Plugs in an independent-instance SHA-256 (Node: node:crypto). */
export function useSha256(factory: () => Sha256): void {
  native = factory;
}

export async function initSha256(): Promise<void> {
  shared ??= await createSHA256();
}

/** SHA-256 and total length of chunks, in one synchronous pass (pure JS before initSha256). */
export function sha256Chunks(chunks: Iterable<Uint8Array>): { digest: Uint8Array; size: number } {
  let h: Sha256;
  if (native) h = native();
  else if (shared) {
    const s = shared;
    s.init();
    h = { update: (b) => void s.update(b), digest: () => s.digest("binary") };
  } else {
    h = jsSha256.create();
  }
  const size = updateBatched((b) => h.update(b), chunks);
  return { digest: h.digest(), size };
}

/** An independent incremental SHA-256 (safe across awaits). */
export async function sha256Stream(): Promise<Sha256> {
  if (native) return native();
  const h = await createSHA256();
  h.init();
  return { update: (b) => void h.update(b), digest: () => h.digest("binary") };
}
