/**
 * BLAKE3 digests as a branded type. Only the checking parsers below make one, so a `Digest` in
 * hand is always 64 lowercase hex characters (32 bytes); a typo'd or truncated hash can't slip
 * through as a plain string.
 */
import { EkaError } from "../errors.ts";
import { blake3, toHex } from "../util/blake3.ts";

declare const digestBrand: unique symbol;
/** A BLAKE3-256 digest, 64 lowercase hex characters. */
export type Digest = string & { readonly [digestBrand]: true };

export const DIGEST_BYTES = 32;
const HEX64 = /^[0-9a-f]{64}$/;

/** Checks `text` is a 64-character lowercase hex digest; `where` names the place for the error. */
export function parseDigest(text: string, where = "digest"): Digest {
  if (!HEX64.test(text)) {
    throw new EkaError(
      "E_BAD_DIGEST",
      `${where}: '${text.length > 80 ? text.slice(0, 80) + "…" : text}' is not a BLAKE3 digest (expected 64 lowercase hex characters, got ${text.length} characters)`,
    );
  }
  return text as Digest;
}

export function isDigest(text: unknown): text is Digest {
  return typeof text === "string" && HEX64.test(text);
}

/** Makes a Digest from 32 raw bytes. */
export function digestFromBytes(bytes: Uint8Array, where = "digest"): Digest {
  if (bytes.length !== DIGEST_BYTES) {
    throw new EkaError("E_BAD_DIGEST", `${where}: expected ${DIGEST_BYTES} bytes, got ${bytes.length}`);
  }
  return toHex(bytes) as Digest;
}

const NIBBLE = new Map([..."0123456789abcdef"].map((c, i) => [c.charCodeAt(0), i]));

export function digestToBytes(d: Digest): Uint8Array {
  const out = new Uint8Array(DIGEST_BYTES);
  for (let i = 0; i < DIGEST_BYTES; i++) {
    out[i] = ((NIBBLE.get(d.charCodeAt(2 * i)) as number) << 4) | (NIBBLE.get(d.charCodeAt(2 * i + 1)) as number);
  }
  return out;
}

/** BLAKE3 of `bytes` (initBlake3() must have been awaited; openStore does it). */
export function digestOf(bytes: Uint8Array): Digest {
  return toHex(blake3(bytes)) as Digest;
}
