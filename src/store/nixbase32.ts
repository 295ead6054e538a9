/**
 * Nix's base-32: its own alphabet (no e, o, t, u) and its own bit order — the last character
 * encodes the lowest bits of the first byte — so it is not RFC 4648 and must match Nix exactly.
 */
import { EkaError } from "../errors.ts";

const ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";
const VALUE = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]));

export function nixbase32Length(bytes: number): number {
  return Math.ceil((bytes * 8) / 5);
}

export function nixbase32Encode(bytes: Uint8Array): string {
  const len = nixbase32Length(bytes.length);
  let out = "";
  for (let n = len - 1; n >= 0; n--) {
    const b = n * 5;
    const i = b >> 3;
    const j = b & 7;
    const c = ((bytes[i] ?? 0) >> j) | (i + 1 < bytes.length ? (bytes[i + 1] ?? 0) << (8 - j) : 0);
    out += ALPHABET[c & 0x1f];
  }
  return out;
}

/** Decodes `text`; throws E_BAD_NIXBASE32 on a foreign character or on bits that don't fit. */
export function nixbase32Decode(text: string): Uint8Array {
  const size = Math.floor((text.length * 5) / 8);
  const out = new Uint8Array(size);
  for (let n = 0; n < text.length; n++) {
    const ch = text[text.length - n - 1] as string;
    const digit = VALUE.get(ch);
    if (digit === undefined) {
      throw new EkaError("E_BAD_NIXBASE32", `'${text}' is not nixbase32: character '${ch}' is not in ${ALPHABET}`);
    }
    const b = n * 5;
    const i = b >> 3;
    const j = b & 7;
    const low = (digit << j) & 0xff;
    const carry = digit >> (8 - j);
    if (i < size) out[i] = (out[i] ?? 0) | low;
    if (i + 1 < size) out[i + 1] = (out[i + 1] ?? 0) | carry;
    if ((i >= size && low) || (i + 1 >= size && carry)) {
      throw new EkaError("E_BAD_NIXBASE32", `'${text}' is not nixbase32: it has bits beyond its length`);
    }
  }
  return out;
}
