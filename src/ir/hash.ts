// Expected hashes of fixed-output sources: `<algo>:<hex>`.
import { EkaError } from "../errors.ts";
import type { HashAlgo } from "../store/hash.ts";

export type { HashAlgo };

export interface ParsedHash {
  algo: HashAlgo;
  hex: string;
}

export function parseHash(s: string, where = "hash"): ParsedHash {
  const m = /^(blake3|sha256):([0-9a-f]{64})$/.exec(s);
  if (!m) {
    throw new EkaError(
      "E_IR",
      `${where}: '${s}' is not a hash; write 'blake3:<64 hex digits>' or 'sha256:<64 hex digits>'`,
    );
  }
  return { algo: m[1] as HashAlgo, hex: m[2] as string };
}

export function formatHash(h: ParsedHash): string {
  return `${h.algo}:${h.hex}`;
}
